// socket.js - the live connection: a ticket per connection (never the
// token in the URL), reconnect with backoff, and a `ready` callback after
// which the app catches up (conversations, then after_seq).

export class Socket {
  constructor(api, handlers) {
    this.api = api;
    this.handlers = handlers; // { onReady, onFrame, onState }
    this.ws = null;
    this.attempt = 0;
    this.timer = null;
    this.stopped = false;
  }

  start() {
    this.stopped = false;
    this.connect();
  }

  stop() {
    this.stopped = true;
    clearTimeout(this.timer);
    if (this.ws) this.ws.close(1000);
    this.ws = null;
  }

  send(frame) {
    if (this.ws && this.ws.readyState === WebSocket.OPEN) {
      this.ws.send(JSON.stringify(frame));
      return true;
    }
    return false;
  }

  async connect() {
    if (this.stopped) return;
    this.handlers.onState('connecting');
    let ticket;
    try {
      ticket = (await this.api.post('/v1/ws/ticket')).ticket;
    } catch {
      this.retry();
      return;
    }
    const scheme = location.protocol === 'https:' ? 'wss' : 'ws';
    const ws = new WebSocket(`${scheme}://${location.host}/v1/ws?ticket=${encodeURIComponent(ticket)}`);
    this.ws = ws;
    ws.onmessage = (ev) => {
      let frame;
      try {
        frame = JSON.parse(ev.data);
      } catch {
        return;
      }
      if (frame.type === 'ready') {
        this.attempt = 0;
        this.handlers.onState('online');
        this.handlers.onReady();
      } else {
        this.handlers.onFrame(frame);
      }
    };
    ws.onclose = () => {
      if (this.ws === ws) {
        this.ws = null;
        this.retry();
      }
    };
  }

  // 0.5 s, 1 s, 2 s ... up to 30 s, with jitter so that many clients of a
  // restarted gateway do not all come back at once.
  retry() {
    if (this.stopped) return;
    this.handlers.onState('offline');
    const base = Math.min(30000, 500 * 2 ** this.attempt++);
    clearTimeout(this.timer);
    this.timer = setTimeout(() => this.connect(), base / 2 + Math.random() * base / 2);
  }
}
