/**
 * Which key last verified a sender's request, by group and sender: what the receiver knows and the
 * doctor's peer-key-rotation check reads (the doctor imports federation, never the other way round).
 */
export interface VerifiedKey {
  group: string;
  sender: string;
  fingerprint: string;
  at: number;
}
