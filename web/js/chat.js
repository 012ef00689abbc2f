// chat.js - the chat pane: history from the local store at once, then what
// the server adds; text, pictures, voice; read ticks; recall; the group
// details panel.

import { newClientMsgId } from './api.js';
import { $, clear, h, initials, timeLabel, toast } from './dom.js';
import { describeSystem, systemEvent } from './words.js';
import { GroupPanel } from './group_panel.js';

const RECALL_MS = 120 * 1000;
const VOICE_MAX_MS = 60 * 1000;

export class Chat {
  constructor(app) {
    this.app = app;
    this.cid = null;
    this.conv = null;
    this.items = new Map(); // seq -> <li>
    this.messages = new Map(); // seq -> message
    this.openCount = 0;
    this.recorder = null;
    this.attachment = null;
    this.groupPanel = new GroupPanel(app);
    this.wire();
  }

  wire() {
    $('#chat-back').addEventListener('click', () => this.close());
    $('#composer').addEventListener('submit', (ev) => { ev.preventDefault(); this.sendText(); });
    $('#composer-text').addEventListener('keydown', (ev) => {
      if (ev.key === 'Enter' && !ev.shiftKey && !ev.isComposing) { ev.preventDefault(); this.sendText(); }
    });
    $('#composer-file').addEventListener('change', (ev) => this.pickPicture(ev.target));
    $('#attach-send').addEventListener('click', () => this.sendPicture());
    $('#attach-cancel').addEventListener('click', () => this.dropPicture());
    $('#composer-voice').addEventListener('click', () => this.toggleVoice());
    $('#chat-info').addEventListener('click', () => {
      const open = $('#group-panel').hidden;
      $('#group-panel').hidden = !open;
      $('#chat-info').setAttribute('aria-expanded', String(open));
      if (open) this.refreshGroupPanel();
    });
  }

  async open(conv) {
    const token = ++this.openCount;
    this.cid = conv.id;
    this.conv = conv;
    this.app.rememberOpen(conv.id);
    this.items.clear();
    this.messages.clear();
    clear($('#messages'));
    $('#chat-empty').hidden = true;
    $('#messages').hidden = false;
    $('#composer').hidden = false;
    $('#group-panel').hidden = true;
    $('#chat-info').hidden = conv.kind !== 'group';
    $('#chat-info').setAttribute('aria-expanded', 'false');
    this.dropPicture();
    $('#app').classList.add('in-chat');
    this.updateHeader(conv);
    this.app.renderConversations();
    // What this device has, at once.
    const cached = await this.app.store.messages(conv.id, 200);
    if (token !== this.openCount) return;
    this.showMessages(cached);
    // Then what the server has beyond it (after_seq), once online.
    if (this.app.socket) {
      await this.app.syncMessages(conv.id);
      if (token === this.openCount) this.markRead();
    }
    $('#composer-text').focus({ preventScroll: true });
  }

  close() {
    this.openCount++;
    this.cid = null;
    this.conv = null;
    this.app.rememberOpen(null);
    $('#app').classList.remove('in-chat');
    $('#messages').hidden = true;
    $('#composer').hidden = true;
    $('#group-panel').hidden = true;
    $('#chat-info').hidden = true;
    $('#chat-empty').hidden = false;
    $('#chat-title').textContent = 'Pigeon';
    $('#chat-avatar').textContent = '';
    this.app.renderConversations();
  }

  updateHeader(conv) {
    if (conv.id !== this.cid) return;
    this.conv = conv;
    const title = this.app.conversationTitle(conv);
    $('#chat-title').textContent = title;
    const av = $('#chat-avatar');
    av.textContent = initials(title);
    av.className = `avatar${conv.kind === 'group' ? ' group' : ''}`;
    this.updateTicks();
  }

  // Messages of any conversation: those of the open one are drawn (or
  // redrawn, for a recall) in seq order.
  showMessages(list) {
    const ol = $('#messages');
    const nearBottom = ol.scrollHeight - ol.scrollTop - ol.clientHeight < 80;
    let mineAdded = false;
    for (const m of list) {
      if (m.conversation_id !== this.cid) continue;
      const ev = systemEvent(m);
      if (ev && ev.event === 'message_recalled') {
        const target = this.messages.get(ev.seq);
        if (target && !target.recalled) this.place({ ...target, recalled: true, text: null, media: null });
        continue;
      }
      if (!this.items.has(m.seq) && m.sender_id === this.app.me.id) mineAdded = true;
      this.place(m);
    }
    if (nearBottom || mineAdded) ol.scrollTop = ol.scrollHeight;
  }

  place(m) {
    const el = this.render(m);
    this.messages.set(m.seq, m);
    const old = this.items.get(m.seq);
    if (old) {
      old.replaceWith(el);
    } else {
      let next = null; // the first drawn message after m
      for (const [seq, li] of this.items) if (seq > m.seq && (!next || seq < Number(next.dataset.seq))) next = li;
      $('#messages').insertBefore(el, next);
    }
    this.items.set(m.seq, el);
  }

  afterIncoming(m) {
    // A gap (missed events): fetch what lies between.
    const seqs = [...this.items.keys()];
    const max = seqs.length ? Math.max(...seqs) : 0;
    if (max && m.seq > max + 1) this.app.syncMessages(this.cid);
  }

  render(m) {
    const mine = m.sender_id === this.app.me.id;
    if (m.kind === 'system') {
      const text = describeSystem(this.app, m);
      return h('li', { class: 'system', 'data-seq': m.seq, hidden: text === null }, text || '');
    }
    const group = this.conv && this.conv.kind === 'group';
    const li = h('li', {
      class: `msg${mine ? ' mine' : ''}${m.recalled ? ' recalled' : ''}`,
      'data-seq': m.seq, 'data-id': m.id, 'data-kind': m.kind,
    });
    if (group && !mine) li.append(h('div', { class: 'who', 'data-sender': m.sender_id }, this.app.displayName(m.sender_id)));
    const bubble = h('div', { class: 'bubble' });
    if (m.recalled) {
      bubble.textContent = mine ? 'You recalled a message' : `${this.app.displayName(m.sender_id)} recalled a message`;
    } else if (m.kind === 'text') {
      bubble.textContent = m.text;
    } else if (m.kind === 'image' && m.media) {
      bubble.append(this.picture(m.media));
    } else if (m.kind === 'voice' && m.media) {
      bubble.append(this.voice(m.media));
    }
    li.append(bubble);
    const meta = h('div', { class: 'meta' }, h('time', { datetime: m.created_at }, timeLabel(m.created_at)));
    if (mine && !m.recalled) {
      if (!group) meta.append(h('span', { class: 'tick', 'aria-label': 'Sent' }, '✓'));
      const left = RECALL_MS - (Date.now() - Date.parse(m.created_at));
      if (left > 0) {
        const b = h('button', { class: 'recall', 'aria-label': 'Recall message', onclick: () => this.recall(m) }, 'Recall');
        meta.append(b);
        setTimeout(() => b.remove(), left);
      }
    }
    li.append(meta);
    if (mine && !group) this.tick(li);
    return li;
  }

  picture(media) {
    const img = h('img', { alt: 'Picture', width: media.width || undefined, height: media.height || undefined });
    this.app.api.mediaUrl(media.id, true)
      .catch(() => this.app.api.mediaUrl(media.id))
      .then((url) => { img.src = url; })
      .catch(() => { img.alt = 'Picture (could not load)'; });
    return h('button', {
      class: 'pic', 'aria-label': 'Open picture',
      onclick: async () => {
        $('#viewer-img').src = await this.app.api.mediaUrl(media.id);
        $('#viewer').showModal();
      },
    }, img);
  }

  voice(media) {
    const audio = h('audio', { controls: true, preload: 'metadata', 'aria-label': 'Voice message' });
    this.app.api.mediaUrl(media.id).then((url) => { audio.src = url; }).catch(() => toast('Could not load a voice message'));
    const secs = media.duration_ms ? `${Math.max(1, Math.round(media.duration_ms / 1000))}″` : '';
    return h('span', { class: 'voice' }, audio, secs ? h('span', { class: 'sub' }, ` ${secs}`) : null);
  }

  tick(li) {
    const t = li.querySelector('.tick');
    if (!t) return;
    const read = (this.conv.peer_read_seq || 0) >= Number(li.dataset.seq);
    t.textContent = read ? '✓✓' : '✓';
    t.classList.toggle('read', read);
    t.setAttribute('aria-label', read ? 'Read' : 'Sent');
  }

  updateTicks() {
    if (!this.conv || this.conv.kind !== 'direct') return;
    for (const li of this.items.values()) this.tick(li);
  }

  // A name learnt late: sender lines and system messages say it now.
  renameSender(user) {
    for (const el of document.querySelectorAll(`#messages .who[data-sender="${user.id}"]`)) el.textContent = user.nickname;
    for (const [seq, m] of this.messages) if (m.kind === 'system') this.place(this.messages.get(seq));
  }

  async markRead() {
    const conv = this.conv;
    if (!conv || document.visibilityState !== 'visible') return;
    const seqs = [...this.items.keys()];
    const seq = Math.max(conv.last_seq || 0, ...seqs, 0);
    if (seq === 0 || (conv.read_seq >= seq && !conv.unread)) return;
    conv.read_seq = seq;
    conv.unread = 0;
    this.app.renderConversations();
    this.app.store.putConversations([conv]);
    try {
      await this.app.api.post(`/v1/conversations/${encodeURIComponent(conv.id)}/read`, { seq });
    } catch {
      /* the next open marks it again */
    }
  }

  target() {
    const c = this.conv;
    return c.kind === 'group' ? { group_id: c.group.id } : { user_id: c.peer.id };
  }

  async send(fields) {
    const body = { to: this.target(), client_msg_id: newClientMsgId(), ...fields };
    const m = await this.app.api.post('/v1/messages', body);
    await this.app.onMessage(m);
    return m;
  }

  async sendText() {
    const box = $('#composer-text');
    const text = box.value.trim();
    if (!text || !this.conv) return;
    box.value = '';
    try {
      await this.send({ kind: 'text', text });
    } catch (e) {
      box.value = text;
      toast(e.status === 403 ? 'You cannot message them yet (waiting for them to accept?)' : `Not sent: ${e.message}`);
    }
  }

  pickPicture(input) {
    const file = input.files && input.files[0];
    input.value = '';
    if (!file) return;
    this.dropPicture();
    this.attachment = { file, url: URL.createObjectURL(file) };
    $('#attach-img').src = this.attachment.url;
    $('#attach-preview').hidden = false;
    $('#attach-send').focus();
  }

  dropPicture() {
    if (this.attachment) URL.revokeObjectURL(this.attachment.url);
    this.attachment = null;
    $('#attach-preview').hidden = true;
    $('#attach-img').removeAttribute('src');
  }

  async sendPicture() {
    if (!this.attachment) return;
    const { file } = this.attachment;
    $('#attach-send').disabled = true;
    try {
      const media = await this.app.api.uploadMedia(file);
      await this.send({ kind: 'image', media_id: media.id });
      this.dropPicture();
    } catch (e) {
      toast(e.status === 415 ? 'That file is not a picture Pigeon accepts' : `Picture not sent: ${e.message}`);
    } finally {
      $('#attach-send').disabled = false;
    }
  }

  async toggleVoice() {
    const button = $('#composer-voice');
    if (this.recorder) {
      this.recorder.stop();
      return;
    }
    let stream;
    try {
      stream = await navigator.mediaDevices.getUserMedia({ audio: true });
    } catch {
      toast('The microphone is not available');
      return;
    }
    const type = ['audio/webm;codecs=opus', 'audio/ogg;codecs=opus', 'audio/webm']
      .find((t) => window.MediaRecorder && MediaRecorder.isTypeSupported(t));
    const rec = new MediaRecorder(stream, type ? { mimeType: type } : undefined);
    const chunks = [];
    const conv = this.conv;
    rec.ondataavailable = (e) => { if (e.data.size) chunks.push(e.data); };
    rec.onstop = async () => {
      clearTimeout(this.voiceTimer);
      stream.getTracks().forEach((t) => t.stop());
      this.recorder = null;
      button.setAttribute('aria-pressed', 'false');
      button.setAttribute('aria-label', 'Record voice');
      const blob = new Blob(chunks, { type: (rec.mimeType || 'audio/webm').split(';')[0] });
      if (!blob.size || conv !== this.conv) return;
      try {
        const media = await this.app.api.uploadMedia(blob);
        await this.send({ kind: 'voice', media_id: media.id });
      } catch (e) {
        toast(`Voice not sent: ${e.message}`);
      }
    };
    rec.start(250);
    this.recorder = rec;
    button.setAttribute('aria-pressed', 'true');
    button.setAttribute('aria-label', 'Stop recording and send');
    this.voiceTimer = setTimeout(() => rec.state === 'recording' && rec.stop(), VOICE_MAX_MS);
  }

  async recall(m) {
    try {
      const r = await this.app.api.post(`/v1/messages/${encodeURIComponent(m.id)}/recall`);
      await this.app.store.putMessages([r]);
      this.showMessages([r]);
    } catch (e) {
      toast(e.status === 403 ? 'Too late to recall' : `Could not recall: ${e.message}`);
    }
  }

  refreshGroupPanel() {
    if (this.conv && this.conv.kind === 'group' && !$('#group-panel').hidden) this.groupPanel.show(this.conv.group.id);
  }
}
