/**
 * A simplified ITU-T G.107 E-model for a VoIP call (narrowband R scale):
 *   R = 93.2 − Id − Ie,eff
 *   Id = 0.024·Ta + 0.11·(Ta − 177.3)·H(Ta − 177.3)       (Ta: one-way mouth-to-ear delay, ms)
 *   Ie,eff = Ie + (95 − Ie) · Ppl / (Ppl/BurstR + Bpl)     (Ppl: % of speech the listener lost)
 *   MOS = 1 + 0.035·R + R·(R − 60)·(100 − R)·7·10⁻⁶
 * Opus has no G.113 entry: Ie = 0 (wideband Opus is at least as clear as G.711) and Bpl = 25.1
 * (G.711 with packet-loss concealment, G.113 Appendix I) are the assumptions. Ppl is not the
 * network's loss but what was concealed after FEC/RED recovered what they could (getStats'
 * concealedSamples / totalSamplesReceived); BurstR = the mean concealment run over the one random
 * loss at that rate would give (1/(1 − p) packets), at least 1.
 */
export interface EModelInput { concealedRatio: number; meanBurstPackets: number; oneWayDelayMs: number }

export const OPUS_IE = 0;
export const OPUS_BPL = 25.1;

export function eModel(input: EModelInput): { r: number; mos: number; burstR: number } {
  const p = Math.min(Math.max(input.concealedRatio, 0), 0.99);
  const ppl = p * 100;
  const burstR = Math.max(1, input.meanBurstPackets * (1 - p));
  const ta = input.oneWayDelayMs;
  const id = 0.024 * ta + (ta > 177.3 ? 0.11 * (ta - 177.3) : 0);
  const ieEff = OPUS_IE + ((95 - OPUS_IE) * ppl) / (ppl / burstR + OPUS_BPL);
  const r = 93.2 - id - ieEff;
  return { r, mos: mosOf(r), burstR };
}

export function mosOf(r: number): number {
  if (r <= 0) return 1;
  if (r >= 100) return 4.5;
  return 1 + 0.035 * r + r * (r - 60) * (100 - r) * 7e-6;
}
