/**
 * Shapes of the review API and messages (docs/review.md). Decisions, comments and who made
 * them are the websocket's shapes, generated from canvas/protocol/review.py; candidates and
 * review lists are the API's (`candidate_payload`, `guest_candidate`). Guests get the same
 * shapes with fields removed, so everything a guest may not see is optional here.
 *
 * Types only: no behaviour, no state.
 */
import type { AssetData } from "../protocol";

export type {
  CommentAnchor,
  CommentMessage,
  CommentTarget,
  Decision,
  DecisionMessage,
  DecisionStatus,
  ReviewComment,
  Tier,
  Who,
} from "../protocol/generated";
import type { CommentMessage, Consistency, ConsistencyMessage, Decision, DecisionMessage, Tier } from "../protocol/generated";

export const TIERS: Tier[] = ["generation", "refinement", "upres", "final"];

export interface Candidate {
  id: string;
  job?: string;
  /** The batch that made it (null: a job of its own; absent for share-link guests). */
  batch?: string | null;
  mode?: string;
  parent?: string | null;
  /** The result's number in its job: "Result 2". */
  number?: number;
  region: { x: number; y: number; width: number; height: number };
  status: string;
  asset: AssetData;
  source_asset?: AssetData | null;
  created_at: string;
  tier?: Tier;
  decision: Decision | null;
  /** Its drift check against the anchors; null until scored. Guests see it only through a
   * link that shares the team's decisions (absent otherwise). */
  consistency?: Consistency | null;
  /** A video result's playable MP4 (members' URL); null for a still. */
  clip?: { url: string; mime: string; duration: number | null } | null;
}

/** One job's results (canvas/review/candidates.py `job_group`). */
export interface ReviewGroup {
  job?: string;
  kind?: "variations" | "refinement" | "upscale";
  /** What the region is of: its frame or anchor's name, else the prompt. */
  title?: string;
  prompt?: string;
  parent_label?: string | null;
  /** How many results the job has, whatever the filters show. */
  total?: number;
  root: string;
  region: Candidate["region"];
  source_asset: AssetData | null;
  candidates: Candidate[];
}

export interface ReviewList {
  board: string;
  groups: ReviewGroup[];
  tiers: Record<Tier, number>;
  total?: number;
  /** Batch id → name, for the batches that made any candidate. */
  batches?: Record<string, string>;
}

/** Decisions and comments relayed live (their shapes are generated from the server). */
export type ReviewMessage = DecisionMessage | CommentMessage;
/** What the review page's own socket passes on: review messages and new scores. */
export type { ConsistencyMessage };

export const STATUS_LABEL: Record<string, string> = {
  approved: "Approved",
  rejected: "Rejected",
  needs_changes: "Needs changes",
  "": "Undecided",
};
