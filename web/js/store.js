// store.js - the local history: one IndexedDB database per user, as an app
// keeps its chats on the phone. Reopening shows what is here at once; only
// what came after (after_seq) is fetched. Clearing the site data removes it.

const VERSION = 1;

function promisify(req) {
  return new Promise((resolve, reject) => {
    req.onsuccess = () => resolve(req.result);
    req.onerror = () => reject(req.error);
  });
}

function done(tx) {
  return new Promise((resolve, reject) => {
    tx.oncomplete = () => resolve();
    tx.onerror = () => reject(tx.error);
    tx.onabort = () => reject(tx.error);
  });
}

export class Store {
  static async open(userId) {
    const req = indexedDB.open(`pigeon-user-${userId}`, VERSION);
    req.onupgradeneeded = () => {
      const db = req.result;
      // messages by [conversation_id, seq]: a conversation's history is one key range.
      if (!db.objectStoreNames.contains('messages')) db.createObjectStore('messages', { keyPath: ['conversation_id', 'seq'] });
      if (!db.objectStoreNames.contains('conversations')) db.createObjectStore('conversations', { keyPath: 'id' });
    };
    const s = new Store();
    s.db = await promisify(req);
    return s;
  }

  async conversations() {
    const tx = this.db.transaction('conversations');
    return promisify(tx.objectStore('conversations').getAll());
  }

  async putConversations(list) {
    const tx = this.db.transaction('conversations', 'readwrite');
    const os = tx.objectStore('conversations');
    for (const c of list) os.put(c);
    return done(tx);
  }

  // The last `limit` messages of a conversation, ascending.
  async messages(cid, limit = 200) {
    const tx = this.db.transaction('messages');
    const range = IDBKeyRange.bound([cid, 0], [cid, Number.MAX_SAFE_INTEGER]);
    const out = [];
    return new Promise((resolve, reject) => {
      const req = tx.objectStore('messages').openCursor(range, 'prev');
      req.onsuccess = () => {
        const cur = req.result;
        if (cur && out.length < limit) {
          out.push(cur.value);
          cur.continue();
        } else {
          resolve(out.reverse());
        }
      };
      req.onerror = () => reject(req.error);
    });
  }

  // Highest stored seq of a conversation, 0 when none.
  async lastSeq(cid) {
    const tx = this.db.transaction('messages');
    const range = IDBKeyRange.bound([cid, 0], [cid, Number.MAX_SAFE_INTEGER]);
    const cur = await promisify(tx.objectStore('messages').openCursor(range, 'prev'));
    return cur ? cur.value.seq : 0;
  }

  async putMessages(list) {
    if (!list.length) return;
    const tx = this.db.transaction('messages', 'readwrite');
    const os = tx.objectStore('messages');
    for (const m of list) os.put(m);
    return done(tx);
  }

  // A recall marker names a seq: that message becomes recalled locally too.
  async markRecalled(cid, seq) {
    const tx = this.db.transaction('messages', 'readwrite');
    const os = tx.objectStore('messages');
    const m = await promisify(os.get([cid, seq]));
    if (m && !m.recalled) os.put({ ...m, recalled: true, text: null, media: null });
    return done(tx);
  }

  close() {
    if (this.db) this.db.close();
  }
}
