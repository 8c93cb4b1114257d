// The line's API as the console calls it: every request carries the key in the
// Authorization header; the event stream's socket gets it in its first message.

export class ApiError extends Error {
  constructor(status, body) {
    super(body?.error?.message || `HTTP ${status}`);
    this.status = status;
    this.body = body;
  }
}

export class Api {
  constructor(key) {
    this.key = key;
  }

  // {status, ok, data}: the answer whatever its status (the caller decides)
  async request(method, path, body) {
    const headers = { Authorization: `Bearer ${this.key}` };
    if (body !== undefined) headers['Content-Type'] = 'application/json';
    const r = await fetch(path, {
      method, headers, body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await r.text();
    let data = null;
    try { data = text ? JSON.parse(text) : null; } catch { data = { error: { message: text } }; }
    return { status: r.status, ok: r.ok, data };
  }

  async get(path) {
    const r = await this.request('GET', path);
    if (!r.ok) throw new ApiError(r.status, r.data);
    return r.data;
  }

  async post(path, body) {
    const r = await this.request('POST', path, body ?? {});
    if (!r.ok) throw new ApiError(r.status, r.data);
    return r.data;
  }
}

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

// A socket followed until closed: start() runs the subclass's loop(); close() ends it.
class Follower {
  constructor(api) {
    this.api = api;
    this.closed = false;
    this.socket = null;
  }

  start() {
    this.loop();
    return this;
  }

  close() {
    this.closed = true;
    if (this.socket) this.socket.close();
  }
}

// Follows the event stream on the /v1/events/ws socket from `after`: the key goes in the
// first message (a browser cannot set the socket's headers). onEvent(event) for each
// event, in order and once; onStatus('live' | 'reconnecting' | 'refused'). After any
// break it reconnects by itself from the last event id it saw.
export class EventFollower extends Follower {
  constructor(api, { after = 0, onEvent, onStatus }) {
    super(api);
    this.last = after;
    this.onEvent = onEvent;
    this.onStatus = onStatus || (() => {});
    this.retryMs = 1000;
  }

  async loop() {
    while (!this.closed) {
      const code = await this.once();
      if (code === 4401 || code === 4403) {
        this.onStatus('refused');
        return;
      }
      if (this.closed) return;
      this.onStatus('reconnecting');
      await sleep(this.retryMs);
    }
  }

  // one connection; its close code when it ends
  once() {
    return new Promise((resolve) => {
      const url = new URL(`/v1/events/ws?after=${this.last}`, location.href);
      url.protocol = url.protocol === 'https:' ? 'wss:' : 'ws:';
      const ws = new WebSocket(url);
      this.socket = ws;
      ws.onopen = () => {
        ws.send(JSON.stringify({ key: this.api.key }));
        this.onStatus('live');
      };
      ws.onmessage = (m) => {
        const event = JSON.parse(m.data);
        if (event.error) return; // the socket closes next, with its code
        if (event.event_id <= this.last) return; // never twice
        this.last = event.event_id;
        this.onEvent(event);
      };
      ws.onclose = (e) => resolve(e.code);
    });
  }
}

// Follows the picture (the tracks the party may see, as GET /v1/tracks answers) on the
// /v1/picture/ws socket, which sends it each time a feed pushes: the key goes in the
// first message. onPicture(picture) for each; `live` while pictures come. After any
// break it reconnects by itself: a second later when the socket had worked, later and
// later (up to 30 s) when it gave nothing (a proxy that does not pass sockets, an older
// line); the console polls meanwhile. onRefused() when the key is no longer valid.
export class PictureFollower extends Follower {
  constructor(api, { onPicture, onRefused }) {
    super(api);
    this.onPicture = onPicture;
    this.onRefused = onRefused || (() => {});
    this.live = false;
  }

  async loop() {
    let retryMs = 1000;
    while (!this.closed) {
      const { code, worked } = await this.once();
      this.live = false;
      if (code === 4401) {
        this.onRefused();
        return;
      }
      if (this.closed || code === 4403) return; // refused for good: polling it is
      retryMs = worked ? 1000 : Math.min(10000, retryMs * 2);
      await sleep(retryMs);
    }
  }

  // one connection: its close code, and whether it gave a picture
  once() {
    return new Promise((resolve) => {
      const url = new URL('/v1/picture/ws', location.href);
      url.protocol = url.protocol === 'https:' ? 'wss:' : 'ws:';
      let worked = false;
      let ws;
      try {
        ws = new WebSocket(url);
      } catch {
        resolve({ code: 0, worked });
        return;
      }
      this.socket = ws;
      ws.onopen = () => ws.send(JSON.stringify({ key: this.api.key }));
      ws.onmessage = (m) => {
        const picture = JSON.parse(m.data);
        if (picture.error) return; // the socket closes next, with its code
        worked = true;
        this.live = true;
        this.onPicture(picture);
      };
      ws.onclose = (e) => resolve({ code: e.code, worked });
    });
  }
}
