/**
 * R49: whether this person's name goes with their messages when someone forwards them. Kept on this
 * device; each message sent carries the choice (`noForwardName`) inside its encrypted content.
 */
const SETTING_KEY = 'parley.forwardName';

export function forwardNameOn(): boolean {
  return localStorage.getItem(SETTING_KEY) !== 'off';
}

export function setForwardNameOn(on: boolean): void {
  localStorage.setItem(SETTING_KEY, on ? 'on' : 'off');
}
