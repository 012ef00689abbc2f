// app.js - start-up (silent register / login), the shared state, the
// conversation list, sync and live events. The chat pane is chat.js, the
// contacts / groups / profile panels are panels.js.

import { Api, ApiError, forgetAccount, loadAccount } from './api.js';
import { $, clear, h, initials, timeLabel, toast } from './dom.js';
import { Socket } from './socket.js';
import { Store } from './store.js';
import { Chat } from './chat.js';
import { Panels } from './panels.js';
import { describeSystem, systemEvent } from './words.js';

const OPEN_KEY = 'pigeon.open'; // the conversation open when the page was left

export class App {
  constructor() {
    this.api = new Api();
    this.store = null;
    this.me = null;
    this.convs = new Map(); // id -> conversation
    this.users = new Map(); // id -> user (names of group senders, peers)
    this.userFetches = new Map();
    this.syncing = new Map(); // cid -> Promise of a running history sync
    this.socket = null;
    this.chat = new Chat(this);
    this.panels = new Panels(this);
  }

  async boot() {
    const account = loadAccount();
    if (!account) {
      this.showWelcome();
      return;
    }
    // History first, from this device, before the network answers.
    if (!this.store && account.userId && account.user) {
      this.me = account.user;
      await this.openStore(account.userId);
    }
    try {
      this.me = await this.api.login(account);
    } catch (e) {
      if (e instanceof ApiError && e.status === 401) {
        // The server no longer knows this account: start again.
        forgetAccount();
        location.reload();
        return;
      }
      toast(this.me ? 'Offline: showing saved history' : 'The server cannot be reached; retrying');
      setTimeout(() => this.boot(), 5000);
      return;
    }
    this.rememberMe();
    if (!this.store) await this.openStore(this.me.id);
    this.online();
  }

  showWelcome() {
    $('#welcome').hidden = false;
    $('#welcome-nickname').focus();
    $('#welcome-form').addEventListener('submit', async (ev) => {
      ev.preventDefault();
      const nickname = $('#welcome-nickname').value.trim();
      if (!nickname) return;
      const button = ev.submitter || $('#welcome-form button');
      button.disabled = true;
      try {
        this.me = await this.api.register(nickname);
        this.rememberMe();
        $('#welcome').hidden = true;
        await this.openStore(this.me.id);
        this.online();
      } catch (e) {
        const err = $('#welcome-error');
        err.textContent = e.message;
        err.hidden = false;
        button.disabled = false;
      }
    });
  }

  rememberMe() {
    const account = { ...this.api.account, user: this.me };
    localStorage.setItem('pigeon.account', JSON.stringify(account));
    this.users.set(this.me.id, this.me);
    this.panels.showMe();
  }

  async openStore(userId) {
    this.store = await Store.open(userId);
    $('#app').hidden = false;
    this.panels.showMe();
    for (const c of await this.store.conversations()) this.convs.set(c.id, c);
    this.renderConversations();
    const open = localStorage.getItem(OPEN_KEY);
    if (open && this.convs.has(open)) this.chat.open(this.convs.get(open));
  }

  online() {
    $('#app').hidden = false;
    this.panels.start();
    this.socket = new Socket(this.api, {
      onState: (s) => {
        const c = $('#conn');
        c.textContent = s === 'online' ? 'online' : s === 'connecting' ? 'connecting…' : 'offline';
        c.classList.toggle('online', s === 'online');
      },
      onReady: () => this.catchUp(),
      onFrame: (f) => this.onFrame(f),
    });
    this.socket.start();
    document.addEventListener('visibilitychange', () => {
      if (document.visibilityState === 'visible' && this.chat.cid) this.chat.markRead();
    });
  }

  // After every `ready`: conversations, then after_seq of the open one
  // (the others are fetched when opened).
  async catchUp() {
    await this.syncConversations();
    if (this.chat.cid) await this.syncMessages(this.chat.cid);
    this.panels.refreshAll();
  }

  async syncConversations() {
    try {
      const { conversations } = await this.api.get('/v1/conversations');
      for (const c of conversations) {
        this.convs.set(c.id, c);
        if (c.peer) this.users.set(c.peer.id, c.peer);
      }
      await this.store.putConversations(conversations);
      this.renderConversations();
      if (this.chat.cid && this.convs.has(this.chat.cid)) this.chat.updateHeader(this.convs.get(this.chat.cid));
      // The server may count as unread what arrived while the chat was open.
      if (this.chat.cid && this.convs.has(this.chat.cid)) this.chat.markRead();
    } catch (e) {
      toast(`Could not load chats: ${e.message}`);
    }
  }

  // Fetches what this device does not have: after_seq from the last stored
  // message, or the latest page when nothing is stored yet. One at a time
  // per conversation.
  syncMessages(cid) {
    if (this.syncing.has(cid)) return this.syncing.get(cid);
    const p = (async () => {
      try {
        let after = await this.store.lastSeq(cid);
        const path = `/v1/conversations/${encodeURIComponent(cid)}/messages`;
        if (after === 0) {
          const page = await this.api.get(`${path}?limit=50`);
          await this.storeMessages(page.messages);
          return;
        }
        for (let i = 0; i < 20; i++) { // at most 4000 messages at once
          const page = await this.api.get(`${path}?after_seq=${after}&limit=200`);
          await this.storeMessages(page.messages);
          if (!page.has_more || !page.messages.length) break;
          after = page.messages[page.messages.length - 1].seq;
        }
      } catch (e) {
        if (!(e instanceof ApiError && e.status === 404)) toast(`Could not load messages: ${e.message}`);
      } finally {
        this.syncing.delete(cid);
      }
    })();
    this.syncing.set(cid, p);
    return p;
  }

  async storeMessages(list) {
    if (!list.length) return;
    await this.store.putMessages(list);
    for (const m of list) {
      const ev = systemEvent(m);
      if (ev && ev.event === 'message_recalled') await this.store.markRecalled(m.conversation_id, ev.seq);
    }
    this.chat.showMessages(list);
  }

  onFrame(f) {
    switch (f.type) {
      case 'message':
        this.onMessage(f.message);
        break;
      case 'recall':
        this.store.putMessages([f.message]).then(() => this.chat.showMessages([f.message]));
        break;
      case 'receipt':
        this.onReceipt(f);
        break;
      case 'friend_request':
        toast(`${f.request.from.nickname} wants to be your friend`);
        this.panels.refreshContacts();
        break;
      case 'contact':
        toast(`${f.contact.user.nickname} is now your friend`);
        this.panels.refreshContacts();
        break;
      case 'group':
        this.panels.refreshGroups();
        this.syncConversations();
        if (this.chat.cid === `g:${f.group?.id}`) this.chat.refreshGroupPanel();
        break;
      default:
        break;
    }
  }

  async onMessage(m) {
    await this.storeMessages([m]);
    const conv = this.convs.get(m.conversation_id);
    if (!conv) {
      await this.syncConversations(); // a conversation new to this device
      return;
    }
    const ev = systemEvent(m);
    conv.last_seq = Math.max(conv.last_seq, m.seq);
    if (!ev || ev.event !== 'message_recalled') conv.last_message = m;
    conv.updated_at = m.created_at;
    const here = this.chat.cid === m.conversation_id && document.visibilityState === 'visible';
    if (m.sender_id === this.me.id) {
      conv.read_seq = Math.max(conv.read_seq, m.seq);
      conv.unread = 0;
    } else if (!here && !(ev && ev.event === 'message_recalled')) {
      conv.unread = (conv.unread || 0) + 1;
    }
    await this.store.putConversations([conv]);
    this.renderConversations();
    if (this.chat.cid === m.conversation_id) {
      this.chat.afterIncoming(m);
      if (here) this.chat.markRead();
    }
  }

  onReceipt(f) {
    const conv = this.convs.get(f.conversation_id);
    if (!conv) return;
    if (f.user_id === this.me.id) { // read on another device of mine
      conv.read_seq = Math.max(conv.read_seq, f.read_seq);
      if (conv.read_seq >= conv.last_seq) conv.unread = 0;
      this.renderConversations();
    } else {
      conv.peer_read_seq = Math.max(conv.peer_read_seq || 0, f.read_seq);
      if (this.chat.cid === conv.id) this.chat.updateTicks();
    }
    this.store.putConversations([conv]);
  }

  // --- names ---

  displayName(userId) {
    const u = this.users.get(userId);
    if (u) return u.nickname;
    this.fetchUser(userId);
    return `user ${userId}`;
  }

  fetchUser(id) {
    if (!this.userFetches.has(id)) {
      this.userFetches.set(id, this.api.get(`/v1/users/${id}`).then((u) => {
        this.users.set(u.id, u);
        this.chat.renameSender(u);
        this.renderConversations(); // previews of system messages name people
        return u;
      }).catch(() => null));
    }
    return this.userFetches.get(id);
  }

  // --- conversations ---

  conversationTitle(c) {
    if (c.kind === 'group') return c.group ? c.group.name : c.id;
    return c.peer ? c.peer.nickname : c.id;
  }

  directId(userId) {
    const a = Math.min(userId, this.me.id);
    const b = Math.max(userId, this.me.id);
    return `d:${a}:${b}`;
  }

  openDirect(user) {
    this.users.set(user.id, user);
    const cid = this.directId(user.id);
    let conv = this.convs.get(cid);
    if (!conv) {
      conv = { id: cid, kind: 'direct', peer: user, group: null, last_seq: 0, read_seq: 0,
        peer_read_seq: 0, unread: 0, last_message: null, updated_at: new Date().toISOString() };
      this.convs.set(cid, conv);
    }
    this.chat.open(conv);
  }

  openGroup(group) {
    const cid = `g:${group.id}`;
    let conv = this.convs.get(cid);
    if (!conv) {
      conv = { id: cid, kind: 'group', peer: null, group, last_seq: 0, read_seq: 0,
        peer_read_seq: null, unread: 0, last_message: null, updated_at: new Date().toISOString() };
      this.convs.set(cid, conv);
    }
    this.chat.open(conv);
  }

  rememberOpen(cid) {
    if (cid) localStorage.setItem(OPEN_KEY, cid);
    else localStorage.removeItem(OPEN_KEY);
  }

  preview(m) {
    if (!m) return '';
    if (m.recalled) return 'Message recalled';
    switch (m.kind) {
      case 'text': return m.text;
      case 'image': return '[Picture]';
      case 'voice': return '[Voice]';
      default: return describeSystem(this, m) ?? 'Message recalled';
    }
  }

  renderConversations() {
    const list = clear($('#conversation-list'));
    const convs = [...this.convs.values()]
      .filter((c) => c.last_seq > 0 || c.id === this.chat.cid)
      .sort((a, b) => (b.updated_at || '').localeCompare(a.updated_at || ''));
    let unread = 0;
    for (const c of convs) {
      unread += c.unread || 0;
      const title = this.conversationTitle(c);
      const li = h('li', {
        class: `item clickable${c.id === this.chat.cid ? ' active' : ''}`, tabindex: '0',
        'data-cid': c.id, 'aria-label': `${title}${c.unread ? `, ${c.unread} unread` : ''}`,
        onclick: () => this.chat.open(c),
        onkeydown: (e) => { if (e.key === 'Enter') this.chat.open(c); },
      },
      h('span', { class: `avatar${c.kind === 'group' ? ' group' : ''}`, 'aria-hidden': 'true' }, initials(title)),
      h('div', { class: 'grow' },
        h('div', { class: 'name' }, title),
        h('div', { class: 'sub' }, this.preview(c.last_message))),
      h('div', { class: 'stack' },
        h('span', { class: 'when' }, c.last_message ? timeLabel(c.last_message.created_at) : ''),
        c.unread ? h('span', { class: 'badge unread', 'aria-label': `${c.unread} unread` }, String(c.unread)) : null));
      list.append(li);
    }
    $('#chats-empty').hidden = convs.length > 0;
    const badge = $('#badge-chats');
    badge.hidden = unread === 0;
    badge.textContent = String(unread);
    document.title = unread ? `(${unread}) Pigeon` : 'Pigeon';
  }
}

const app = new App();
window.addEventListener('DOMContentLoaded', () => app.boot());
