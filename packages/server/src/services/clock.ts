/** Injected time source so tests can move time (recall windows, mutes, token expiry). */
export type Clock = () => number;
export const systemClock: Clock = () => Date.now();
