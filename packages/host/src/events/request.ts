import { EventDraft, Name } from '@routerd/plugin-sdk';

/**
 * What a local writer (routerctl, the control API) sends: an EventDraft plus the group to write it in
 * (needed only when several EventGroups are configured). Unknown fields are refused, not ignored: a
 * misspelt `ttll` must not silently store an event that never expires.
 */
export const EmitRequest = EventDraft.and({ 'group?': Name }).onUndeclaredKey('reject');
export type EmitRequest = typeof EmitRequest.infer;
