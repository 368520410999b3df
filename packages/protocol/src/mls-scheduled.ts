/**
 * R191: the content type of a scheduled post of a private channel in MLS mode (R112) in the announcements
 * chat's log. Not an MLS message: the body (`MlsScheduledBody`, JSON) holds the post sealed under a key
 * from the chat's MLS exporter at the epoch it names, signed by its author's device. The server appends
 * it as its author's entry when the chat is still at that epoch, so every reader's group is there too.
 */
export const MLS_SCHEDULED_CONTENT_TYPE = 'parley/mls-scheduled';

/** R191: the MLS exporter label the sealing key comes from (its context: the schedule id). */
export const MLS_SCHEDULED_EXPORTER_LABEL = 'parley scheduled post';
