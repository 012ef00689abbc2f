// api.js - the REST calls of API.md, with the bearer token, one silent
// re-login on 401, and media fetched as blob: URLs (an <img src> cannot
// carry the Authorization header).

const ACCOUNT_KEY = 'pigeon.account';

export class ApiError extends Error {
  constructor(status, code, message) {
    super(message || code || `HTTP ${status}`);
    this.status = status;
    this.code = code || 'http_error';
  }
}

function randomString(alphabet, length) {
  const bytes = crypto.getRandomValues(new Uint8Array(length));
  return Array.from(bytes, (b) => alphabet[b % alphabet.length]).join('');
}

export function newClientMsgId() {
  return `web-${Date.now().toString(36)}-${randomString('abcdefghijklmnopqrstuvwxyz0123456789', 12)}`;
}

export function loadAccount() {
  try {
    const a = JSON.parse(localStorage.getItem(ACCOUNT_KEY) || 'null');
    return a && a.username && a.password ? a : null;
  } catch {
    return null;
  }
}

export function saveAccount(account) {
  localStorage.setItem(ACCOUNT_KEY, JSON.stringify(account));
}

export function forgetAccount() {
  localStorage.removeItem(ACCOUNT_KEY);
}

export class Api {
  constructor() {
    this.token = null;
    this.account = null;
    this.mediaUrls = new Map(); // "id" or "id/thumbnail" -> Promise<blob: URL>
  }

  // First open: a random username and password behind the scenes; the
  // person only chose a nickname.
  async register(nickname) {
    const username = `u${randomString('abcdefghijklmnopqrstuvwxyz0123456789', 11)}`;
    const password = randomString('ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz23456789', 24);
    const res = await this.request('POST', '/v1/auth/register', { username, password, nickname }, { auth: false });
    this.token = res.token;
    this.account = { username, password, userId: res.user.id };
    saveAccount(this.account);
    return res.user;
  }

  // Every later start: a silent login with the stored credentials.
  async login(account) {
    const res = await this.request('POST', '/v1/auth/login',
      { username: account.username, password: account.password, device: 'web' }, { auth: false });
    this.token = res.token;
    this.account = { ...account, userId: res.user.id };
    saveAccount(this.account);
    return res.user;
  }

  async request(method, path, body, opts = {}) {
    const auth = opts.auth !== false;
    for (let attempt = 0; ; attempt++) {
      const headers = {};
      if (auth && this.token) headers.Authorization = `Bearer ${this.token}`;
      let payload;
      if (opts.raw) {
        payload = body;
        headers['Content-Type'] = opts.contentType || 'application/octet-stream';
      } else if (body !== undefined) {
        payload = JSON.stringify(body);
        headers['Content-Type'] = 'application/json';
      }
      let res;
      try {
        res = await fetch(path, { method, headers, body: payload, cache: 'no-store' });
      } catch (e) {
        throw new ApiError(0, 'network', 'The server cannot be reached');
      }
      if (res.status === 401 && auth && attempt === 0 && this.account) {
        await this.login(this.account); // token expired or revoked
        continue;
      }
      if (res.status === 429 && attempt < 2) {
        const wait = Math.min(5, Number(res.headers.get('Retry-After')) || 1);
        await new Promise((r) => setTimeout(r, wait * 1000));
        continue;
      }
      if (res.status === 204) return null;
      const text = await res.text();
      let json = null;
      try {
        json = text ? JSON.parse(text) : null;
      } catch {
        json = null;
      }
      if (!res.ok) {
        const err = json && json.error ? json.error : {};
        throw new ApiError(res.status, err.code, err.message);
      }
      return json;
    }
  }

  get(path) { return this.request('GET', path); }
  post(path, body) { return this.request('POST', path, body === undefined ? {} : body); }
  patch(path, body) { return this.request('PATCH', path, body); }
  del(path) { return this.request('DELETE', path); }

  uploadMedia(blob) {
    return this.request('POST', '/v1/media', blob, { raw: true, contentType: blob.type || 'application/octet-stream' });
  }

  // A blob: URL for a media id (thumbnail: the small picture). Cached for
  // the page's life; fetched once.
  mediaUrl(id, thumbnail = false) {
    const key = thumbnail ? `${id}/thumbnail` : String(id);
    if (!this.mediaUrls.has(key)) {
      const p = (async () => {
        for (let attempt = 0; ; attempt++) {
          const res = await fetch(`/v1/media/${encodeURIComponent(id)}${thumbnail ? '/thumbnail' : ''}`,
            { headers: { Authorization: `Bearer ${this.token}` } });
          if (res.status === 401 && attempt === 0 && this.account) {
            await this.login(this.account);
            continue;
          }
          if (!res.ok) throw new ApiError(res.status, 'media', `media ${id}: HTTP ${res.status}`);
          return URL.createObjectURL(await res.blob());
        }
      })();
      p.catch(() => this.mediaUrls.delete(key));
      this.mediaUrls.set(key, p);
    }
    return this.mediaUrls.get(key);
  }
}
