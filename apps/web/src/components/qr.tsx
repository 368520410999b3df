import { useEffect, useState } from 'react';
import QRCode from 'qrcode';
import { useI18n } from '../i18n/index.ts';
import { CopyButton } from './copy-button.tsx';

/** A link with its QR code (drawn locally, never by a remote service) and a copy button. */
export function LinkWithQr({ url }: { url: string }) {
  const { t } = useI18n();
  const [src, setSrc] = useState('');
  useEffect(() => {
    let live = true;
    QRCode.toDataURL(url, { margin: 1, width: 320, errorCorrectionLevel: 'M' })
      .then((data) => { if (live) setSrc(data); }, (err: unknown) => console.warn('parley: QR failed', err));
    return () => { live = false; };
  }, [url]);
  return (
    <div className="link-qr">
      {src && <img src={src} alt={t('qrAlt')} width={180} height={180} data-testid="qr" />}
      <code className="link" data-testid="link">{url}</code>
      <CopyButton text={url} />
    </div>
  );
}
