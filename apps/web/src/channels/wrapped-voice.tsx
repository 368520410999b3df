import type { ParleyClient } from '@parley/client';
import { VoiceRecorder } from '../files/voice-recorder.tsx';

/**
 * R187: the admin's microphone in the wrapped composer (the chat's recorder: tap, tap to send, or hold
 * and release). The recording goes as a post with one `voice` file through R162's path (encrypted and
 * uploaded on this device, kept until posted, shown below the posts with its upload bar meanwhile);
 * readers get the chat's voice player. `run`: the composer's action (its error line, its busy state).
 */
export function WrappedVoice({ client, communityId, run, onQueued }: {
  client: ParleyClient; communityId: string; run: (fn: () => Promise<unknown>) => void; onQueued: () => Promise<void>;
}) {
  return (
    <VoiceRecorder onError={(message) => run(() => Promise.reject(new Error(message)))}
      onSend={(file) => run(async () => {
        await client.wrappedChannels.send(communityId, '', { files: [file] });
        await onQueued();
      })} />
  );
}
