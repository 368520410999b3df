import { useEffect, useState } from 'react';
import QRCode from 'qrcode';
import { useI18n } from '../i18n/index.ts';

/** A link with its QR code and a copy button. */
export function LinkWithQr({ url }: { url: string }) {
  const { t } = useI18n();
  const [src, setSrc] = useState('');
  const [copied, setCopied] = useState(false);
  useEffect(() => {
    void QRCode.toDataURL(url, { margin: 1, width: 200 }).then(setSrc);
  }, [url]);
  return (
    <div className="link-qr">
      {src && <img src={src} alt="QR" width={160} height={160} />}
      <code className="link" data-testid="link">{url}</code>
      <button type="button" onClick={() => void navigator.clipboard?.writeText(url).then(() => setCopied(true))}>{copied ? t('copied') : t('copy')}</button>
    </div>
  );
}
