import { Icon } from '../components/icons.tsx';
import { useI18n } from '../i18n/index.ts';
import { ScreenShare } from './screen-share.ts';

/** R103: the call bar's Share screen / Stop sharing toggle (absent where the browser can't share a screen). */
export function ScreenShareButton({ sharing, onShare, onStop }: { sharing: boolean; onShare: () => void; onStop: () => void }) {
  const { t } = useI18n();
  if (!ScreenShare.supported) return null;
  const label = t(sharing ? 'callStopSharing' : 'callShareScreen');
  return (
    <button className={`icon call-mute${sharing ? ' on' : ''}`} aria-pressed={sharing} aria-label={label} title={label}
      data-testid="call-share-screen" onClick={sharing ? onStop : onShare}>
      <Icon name="screenShare" />
    </button>
  );
}
