// R123: simulcast layers of a group call's camera; a module of its own, small enough for an app's start-up code
// (the GroupCall itself loads on the first group call).

/**
 * R123: the layers a group call's video publisher sends (simulcast, RFC 8853 rids): full size, half
 * and a quarter, for the app's `addTransceiver(track, {sendEncodings})`. Janus forwards one per
 * receiver (`GroupCall.setSubstream`); every layer goes through the sender's SFrame transform.
 */
export const SIMULCAST_ENCODINGS: ReadonlyArray<{ rid: string; scaleResolutionDownBy: number; maxBitrate: number }> = [
  { rid: 'h', scaleResolutionDownBy: 1, maxBitrate: 900_000 },
  { rid: 'm', scaleResolutionDownBy: 2, maxBitrate: 300_000 },
  { rid: 'l', scaleResolutionDownBy: 4, maxBitrate: 100_000 },
];

/**
 * R123: the layers for a camera `width` pixels wide. Chromium sends three from 960 pixels, two from
 * 640, one below; a layer declared but never sent would leave a receiver that asks for it with nothing.
 */
export function simulcastEncodings(width: number): Array<{ rid: string; scaleResolutionDownBy: number; maxBitrate: number }> {
  const count = width >= 960 ? 3 : width >= 640 ? 2 : 1;
  return SIMULCAST_ENCODINGS.slice(0, count).map((e) => ({ ...e }));
}

/** R123: the layer that fits a tile `widthPx` CSS pixels wide for a camera `cameraWidth` wide (0: the smallest layer). */
export function substreamFor(widthPx: number, cameraWidth = 640): 0 | 1 | 2 {
  const layers = simulcastEncodings(cameraWidth).length;
  // Layers from the smallest: the first whose width covers the tile (Janus's substream 0 is the smallest).
  for (let i = 0; i < layers; i++) if (cameraWidth / 2 ** (layers - 1 - i) >= widthPx) return i as 0 | 1 | 2;
  return (layers - 1) as 0 | 1 | 2;
}
