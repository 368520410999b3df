import { useEffect, useState } from 'react';
import { useI18n } from '../i18n/index.ts';
import { CopyButton } from './copy-button.tsx';

/**
 * A QR code of `text`, drawn locally (never by a remote service). The encoder is loaded when the
 * first code is drawn: it is not part of the chat screen's JavaScript (issue 15's size budget).
 */
export function QrImage({ text, alt, size = 180 }: { text: string; alt: string; size?: number }) {
  const [src, setSrc] = useState('');
  useEffect(() => {
    let live = true;
    import('qrcode')
      .then(({ default: QRCode }) => QRCode.toDataURL(text, { margin: 1, width: 320, errorCorrectionLevel: 'M' }))
      .then((data) => { if (live) setSrc(data); }, (err: unknown) => console.warn('parley: QR failed', err));
    return () => { live = false; };
  }, [text]);
  return src ? <img src={src} alt={alt} width={size} height={size} data-testid="qr" /> : null;
}

/** A link with its QR code and a copy button. */
export function LinkWithQr({ url }: { url: string }) {
  const { t } = useI18n();
  return (
    <div className="link-qr">
      <QrImage text={url} alt={t('qrAlt')} />
      <code className="link" data-testid="link">{url}</code>
      <CopyButton text={url} />
    </div>
  );
}
