/**
 * Whether this device's calls go only through the TURN relay (ICE `relay` policy), so the other
 * person never learns its IP address. Kept on this device; read when the client is created
 * (ClientOptions.calls.relayOnly), so a change applies after a reload.
 */
const SETTING_KEY = 'parley.relayCalls';

export function relayCallsOn(): boolean {
  return localStorage.getItem(SETTING_KEY) === 'on';
}

export function setRelayCallsOn(on: boolean): void {
  localStorage.setItem(SETTING_KEY, on ? 'on' : 'off');
}
