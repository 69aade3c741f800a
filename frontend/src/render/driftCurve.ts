/**
 * The temporal-drift curve of a video item, pure: the per-second scores a clip landed with
 * (`props.video.drift`, docs/video.md "Temporal-drift score") turned into bars to draw, the
 * worst second, and the words that say whether the clip drifts beyond tolerance. Kept out
 * of the player (render/videoClips.ts) so the scaling and the wording are tested on their
 * own and the review and share views can say the same thing.
 */

export interface DriftSecond {
  second: number;
  /** Largest measure ÷ its tolerance: 1.0 is at tolerance. */
  score: number;
  worst_measure?: string;
}

export interface DriftReport {
  seconds: DriftSecond[];
  worst_second?: number | null;
  worst_score?: number | null;
  onset_second?: number | null;
  flagged?: boolean;
}

export interface DriftBar {
  second: number;
  score: number;
  x: number;
  y: number;
  width: number;
  height: number;
  worst: boolean;
  over: boolean;
  /**
   * How the bar is coloured (a CSS class): red (`worst flagged`) only for the worst second of a
   * clip flagged beyond tolerance; the worst second of a clip within tolerance is highlighted
   * without the alarm colour (`worst`), since red would say "drifts" when the words say it does not.
   */
  tone: "ok" | "over" | "worst" | "worst flagged";
}

export interface DriftCurve {
  bars: DriftBar[];
  /** Where the tolerance (score 1.0) line is drawn, from the top. */
  toleranceY: number;
  /** The score the full height stands for (at least 1.5, so the tolerance line shows). */
  top: number;
  worst: DriftSecond | null;
}

/** The video item's drift report, or null when the clip was not scored. */
export function driftOf(props: Record<string, unknown>): DriftReport | null {
  const video = props.video as { drift?: unknown } | undefined;
  const drift = video?.drift as DriftReport | null | undefined;
  if (!drift || !Array.isArray(drift.seconds) || !drift.seconds.length) return null;
  return drift;
}

/** The second the curve highlights: the report's own, else the highest score (first wins). */
export function worstSecond(report: DriftReport): DriftSecond | null {
  const named = report.seconds.find((s) => s.second === report.worst_second);
  if (named) return named;
  let worst: DriftSecond | null = null;
  for (const s of report.seconds) if (!worst || s.score > worst.score) worst = s;
  return worst;
}

/** Bars of one second each across `width`, scores scaled so the tallest fits `height`. */
export function driftCurve(report: DriftReport, width: number, height: number): DriftCurve {
  const seconds = [...report.seconds].sort((a, b) => a.second - b.second);
  const worst = worstSecond(report);
  const flagged = isFlagged(report);
  const top = Math.max(1.5, ...seconds.map((s) => (Number.isFinite(s.score) ? s.score : 0)));
  const step = seconds.length ? width / seconds.length : width;
  const gap = step > 6 ? 1 : 0;
  const bars = seconds.map((s, i) => {
    const score = Number.isFinite(s.score) ? Math.max(0, s.score) : 0;
    const h = Math.max(1, (score / top) * height);
    const isWorst = worst?.second === s.second;
    const over = score >= 1;
    return {
      second: s.second,
      score,
      x: i * step,
      y: height - h,
      width: Math.max(1, step - gap),
      height: h,
      worst: isWorst,
      over,
      tone: isWorst ? (flagged ? "worst flagged" : "worst") : over ? "over" : "ok",
    } satisfies DriftBar;
  });
  return { bars, toleranceY: height - height / top, top, worst };
}

/** The clip's flag: the report's own (judged against the board kit's tolerance), else any second at tolerance. */
export function isFlagged(report: DriftReport): boolean {
  return report.flagged ?? report.seconds.some((s) => s.score >= 1);
}

/** The words under the curve: the flag (not colour alone) and the worst second. */
export function driftWords(report: DriftReport): { flagged: boolean; flag: string; worst: string } {
  const worst = worstSecond(report);
  const flagged = isFlagged(report);
  const onset = report.onset_second ?? worst?.second ?? 0;
  const what = worst?.worst_measure ? ` (${worst.worst_measure})` : "";
  return {
    flagged,
    flag: flagged ? `Drifts beyond tolerance from second ${onset}` : "Within drift tolerance",
    worst: worst ? `Worst second ${worst.second}: ${worst.score.toFixed(2)}× tolerance${what}` : "",
  };
}

/** The MP4 a browser plays, from a video item's props (docs/video.md "The video item"). */
export function clipUrl(props: Record<string, unknown>): string | null {
  const video = props.video as { mp4?: { asset?: string; sha256?: string; url?: string } | null } | undefined;
  const mp4 = video?.mp4;
  // A share link's guest gets the URL of the link's own copy (no metadata); members the file route.
  if (mp4?.url) return mp4.url;
  if (!mp4?.asset || !mp4.sha256) return null;
  return `/files/${mp4.asset}/${mp4.sha256}/original`;
}

/** Seconds as the scrub bar says them: "1.2 s of 5 s". */
export function clipTimeText(now: number, duration: number): string {
  return `${now.toFixed(1)} s of ${Number(duration.toFixed(1))} s`;
}

/** A moment of a clip as a comment says it: "0:03.2" (minutes, seconds to a tenth). */
export function clipMomentText(seconds: number): string {
  const tenths = Math.max(0, Math.round(seconds * 10));
  const minutes = Math.floor(tenths / 600);
  const rest = (tenths - minutes * 600) / 10;
  return `${minutes}:${rest < 10 ? "0" : ""}${rest.toFixed(1)}`;
}
