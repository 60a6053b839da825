/**
 * Client-side liveness. Pings every `intervalMs` so the server (which closes
 * connections silent for twice its heartbeat) keeps us, and declares the link
 * dead when nothing at all — pong, push or reply — arrived for two intervals:
 * a half-open TCP connection never reports a close by itself.
 */
export class Heartbeat {
  private lastSeen = Date.now();
  private timer: ReturnType<typeof setInterval> | undefined;

  constructor(
    readonly intervalMs: number,
    private readonly ping: () => void,
    private readonly dead: () => void,
  ) {}

  start(): void {
    this.lastSeen = Date.now();
    this.timer = setInterval(() => this.tick(), this.intervalMs);
  }

  /** Any inbound frame proves the link alive. */
  touch(): void {
    this.lastSeen = Date.now();
  }

  stop(): void {
    clearInterval(this.timer);
    this.timer = undefined;
  }

  private tick(): void {
    if (Date.now() - this.lastSeen >= 2 * this.intervalMs) {
      this.stop();
      this.dead();
    } else {
      this.ping();
    }
  }
}
