/**
 * Shapes of the review API and messages (docs/review.md), mirrored from
 * canvas/services/review.py (`candidate_payload`, `decision_payload`, `comment_payload`) and
 * canvas/services/sharing.py (`guest_candidate`). Guests get the same shapes with fields
 * removed, so everything a guest may not see is optional here.
 *
 * Types only: no behaviour, no state.
 */
import type { AssetData } from "../protocol";

export type DecisionStatus = "approved" | "rejected" | "needs_changes" | "";
export type Tier = "generation" | "refinement" | "upres" | "final";
export const TIERS: Tier[] = ["generation", "refinement", "upres", "final"];

export interface Who {
  id?: number | string | null;
  name: string;
  guest: boolean;
}

export interface Decision {
  iteration: string;
  status: DecisionStatus;
  rating?: number | null;
  starred?: boolean;
  tier?: Tier;
  decided_by: Who;
  decided_at: string;
}

export interface Candidate {
  id: string;
  job?: string;
  mode?: string;
  parent?: string | null;
  region: { x: number; y: number; width: number; height: number };
  status: string;
  asset: AssetData;
  source_asset?: AssetData | null;
  created_at: string;
  tier?: Tier;
  decision: Decision | null;
}

export interface ReviewGroup {
  root: string;
  region: Candidate["region"];
  source_asset: AssetData | null;
  candidates: Candidate[];
}

export interface ReviewList {
  board: string;
  groups: ReviewGroup[];
  tiers: Record<Tier, number>;
}

export type CommentTarget = "point" | "area" | "asset" | "iteration";

export interface CommentAnchor {
  x?: number;
  y?: number;
  width?: number;
  height?: number;
  asset?: string;
  iteration?: string;
}

export interface ReviewComment {
  id: string;
  board: string;
  parent: string | null;
  target: CommentTarget;
  anchor: CommentAnchor;
  body: string;
  author: Who;
  mentions?: string[];
  resolved: boolean;
  resolved_at: string | null;
  created_at: string;
}

export interface DecisionMessage {
  type: "decision";
  decision: Decision;
}

export interface CommentMessage {
  type: "comment";
  comment: ReviewComment;
}

export type ReviewMessage = DecisionMessage | CommentMessage;

export const STATUS_LABEL: Record<string, string> = {
  approved: "Approved",
  rejected: "Rejected",
  needs_changes: "Needs changes",
  "": "Undecided",
};
