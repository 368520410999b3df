import { useEffect, useId, useRef, useState } from 'react';
import { Icon } from '../components/icons.tsx';
import { useI18n } from '../i18n/index.ts';
import { audioOutput } from './device-switch.ts';

/** What the picker switches: this call's current inputs and how to change them. */
export interface InputSwitch {
  current(kind: 'audio' | 'video'): string;
  switchTo(kind: 'audio' | 'video', deviceId: string): Promise<void>;
}

function useDevices(): MediaDeviceInfo[] {
  const [devices, setDevices] = useState<MediaDeviceInfo[]>([]);
  useEffect(() => {
    const read = () => { navigator.mediaDevices.enumerateDevices().then(setDevices, () => undefined); };
    read();
    navigator.mediaDevices.addEventListener('devicechange', read);
    return () => navigator.mediaDevices.removeEventListener('devicechange', read);
  }, []);
  return devices;
}

/**
 * The call bar's Devices button and its panel: microphone, camera (video calls) and speaker
 * (where the browser can choose the output) as labelled selects.
 */
export function DevicePicker({ inputs, video, onError }: { inputs: InputSwitch; video: boolean; onError: (err: unknown) => void }) {
  const { t } = useI18n();
  const [open, setOpen] = useState(false);
  const devices = useDevices();
  const [, setTick] = useState(0);
  const id = useId();
  const button = useRef<HTMLButtonElement>(null);
  const kinds: Array<{ kind: MediaDeviceKind; label: string; value: string; pick: (deviceId: string) => void }> = [
    { kind: 'audioinput', label: t('callMicrophone'), value: inputs.current('audio'), pick: (d) => { inputs.switchTo('audio', d).then(() => setTick((n) => n + 1), onError); } },
    ...(video ? [{ kind: 'videoinput' as const, label: t('callCameraPick'), value: inputs.current('video'), pick: (d: string) => { inputs.switchTo('video', d).then(() => setTick((n) => n + 1), onError); } }] : []),
    ...(audioOutput.supported ? [{ kind: 'audiooutput' as const, label: t('callSpeaker'), value: audioOutput.sinkId, pick: (d: string) => { audioOutput.set(d); setTick((n) => n + 1); } }] : []),
  ];
  return (
    <>
      <button ref={button} className="icon" aria-expanded={open} aria-controls={id} aria-label={t('callDevices')} title={t('callDevices')} onClick={() => setOpen(!open)}>
        <Icon name="settings" />
      </button>
      {open && (
        <div className="call-devices" id={id} role="group" aria-label={t('callDevices')} data-testid="call-devices"
          onKeyDown={(e) => { if (e.key === 'Escape') { setOpen(false); button.current?.focus(); } }}>
          {kinds.map(({ kind, label, value, pick }) => {
            const list = devices.filter((d) => d.kind === kind);
            return (
              <label key={kind}>
                <span>{label}</span>
                <select value={list.some((d) => d.deviceId === value) ? value : (list[0]?.deviceId ?? '')} onChange={(e) => pick(e.target.value)} disabled={list.length === 0}>
                  {list.map((d, i) => <option key={d.deviceId || i} value={d.deviceId}>{d.label || `${label} ${i + 1}`}</option>)}
                </select>
              </label>
            );
          })}
        </div>
      )}
    </>
  );
}
