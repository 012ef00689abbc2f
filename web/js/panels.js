// panels.js - the sidebar's tabs: contacts (search, add one-way / two-way,
// requests, the three kinds of contact), groups (search, join, create) and
// the profile.

import { $, clear, h, initials, toast } from './dom.js';
import { policyLabel } from './group_panel.js';

const TABS = ['chats', 'contacts', 'groups', 'me'];

export class Panels {
  constructor(app) {
    this.app = app;
    this.contacts = [];
    this.wired = false;
  }

  start() {
    if (this.wired) return;
    this.wired = true;
    for (const t of TABS) $(`#tab-${t}`).addEventListener('click', () => this.select(t));
    $('#user-search').addEventListener('submit', (ev) => { ev.preventDefault(); this.searchUsers(); });
    $('#group-search').addEventListener('submit', (ev) => { ev.preventDefault(); this.searchGroups(); });
    $('#group-form').addEventListener('submit', (ev) => { ev.preventDefault(); this.createGroup(); });
    $('#profile-form').addEventListener('submit', (ev) => { ev.preventDefault(); this.saveProfile(); });
  }

  select(tab) {
    for (const t of TABS) {
      $(`#tab-${t}`).setAttribute('aria-selected', String(t === tab));
      $(`#panel-${t}`).hidden = t !== tab;
    }
    if (tab === 'contacts') this.refreshContacts();
    if (tab === 'groups') this.refreshGroups();
  }

  refreshAll() {
    this.refreshContacts();
    this.refreshGroups();
  }

  showMe() {
    const me = this.app.me;
    if (!me) return;
    $('#me-name').textContent = me.nickname;
    $('#me-avatar').textContent = initials(me.nickname);
    $('#me-username').textContent = me.username;
    $('#profile-nickname').value = me.nickname;
    $('#profile-policy').value = me.add_policy || 'open';
  }

  async saveProfile() {
    try {
      this.app.me = await this.app.api.patch('/v1/me', {
        nickname: $('#profile-nickname').value.trim(),
        add_policy: $('#profile-policy').value,
      });
      this.app.rememberMe();
      toast('Profile saved');
    } catch (e) {
      toast(e.message);
    }
  }

  // --- contacts ---

  userRow(user, extra) {
    return h('li', { class: 'item', 'data-user': user.id },
      h('span', { class: 'avatar', 'aria-hidden': 'true' }, initials(user.nickname)),
      h('div', { class: 'grow' }, h('div', { class: 'name' }, user.nickname), h('div', { class: 'sub' }, `@${user.username}`)),
      h('div', { class: 'actions' }, extra));
  }

  async searchUsers() {
    const q = $('#user-search-q').value.trim();
    const list = clear($('#user-results'));
    if (!q) return;
    try {
      const { users } = await this.app.api.get(`/v1/users?q=${encodeURIComponent(q)}&limit=20`);
      const known = new Map(this.contacts.map((c) => [c.user.id, c.kind]));
      for (const u of users) {
        this.app.users.set(u.id, u);
        const kind = known.get(u.id);
        const actions = [];
        if (u.id === this.app.me.id) {
          actions.push(h('span', { class: 'sub' }, 'you'));
        } else {
          if (kind !== 'friend') actions.push(h('button', { class: 'primary', 'aria-label': `Add ${u.nickname} as a friend`, onclick: () => this.add(u, 'two_way') }, 'Add friend'));
          if (!kind || kind === 'follower') actions.push(h('button', { 'aria-label': `Add ${u.nickname} one-way`, onclick: () => this.add(u, 'one_way') }, 'Add one-way'));
          if (kind) actions.push(h('button', { 'aria-label': `Message ${u.nickname}`, onclick: () => this.app.openDirect(u) }, 'Message'));
        }
        list.append(this.userRow(u, actions));
      }
      if (!users.length) list.append(h('li', { class: 'hint' }, 'Nobody found'));
    } catch (e) {
      toast(e.message);
    }
  }

  async add(user, mode) {
    try {
      const res = await this.app.api.post('/v1/contacts', { user_id: user.id, mode });
      toast(res.request ? `Request sent to ${user.nickname}` : `${user.nickname} added`);
    } catch (e) {
      if (e.status === 403 && mode === 'one_way') toast(`${user.nickname} accepts friend requests only`);
      else if (e.status === 409) toast(`${user.nickname} is already added`);
      else toast(e.message);
    }
    await this.refreshContacts();
    this.searchUsers();
  }

  async refreshContacts() {
    if (!this.app.me) return;
    try {
      const [{ contacts }, incoming, outgoing] = await Promise.all([
        this.app.api.get('/v1/contacts'),
        this.app.api.get('/v1/friend-requests?direction=incoming'),
        this.app.api.get('/v1/friend-requests?direction=outgoing'),
      ]);
      this.contacts = contacts;
      for (const c of contacts) this.app.users.set(c.user.id, c.user);
      this.renderRequests(incoming.requests, outgoing.requests);
      this.renderContacts();
      this.renderMemberPicks();
    } catch (e) {
      toast(e.message);
    }
  }

  renderRequests(incoming, outgoing) {
    const list = clear($('#request-list'));
    $('#requests-title').hidden = incoming.length === 0;
    for (const r of incoming) {
      list.append(this.userRow(r.from, [
        h('button', { class: 'primary', 'aria-label': `Accept ${r.from.nickname}`, onclick: () => this.decide(r, 'accept') }, 'Accept'),
        h('button', { 'aria-label': `Decline ${r.from.nickname}`, onclick: () => this.decide(r, 'decline') }, 'Decline'),
      ]));
    }
    const badge = $('#badge-contacts');
    badge.hidden = incoming.length === 0;
    badge.textContent = String(incoming.length);
    const sent = clear($('#sent-list'));
    $('#sent-title').hidden = outgoing.length === 0;
    for (const r of outgoing) {
      sent.append(this.userRow(r.to, [
        h('span', { class: 'sub' }, 'waiting'),
        h('button', { 'aria-label': `Cancel the request to ${r.to.nickname}`, onclick: () => this.cancel(r) }, 'Cancel'),
      ]));
    }
  }

  async decide(r, what) {
    try {
      await this.app.api.post(`/v1/friend-requests/${r.id}/${what}`);
      toast(what === 'accept' ? `${r.from.nickname} is now your friend` : 'Request declined');
    } catch (e) {
      toast(e.message);
    }
    this.refreshContacts();
  }

  async cancel(r) {
    try {
      await this.app.api.del(`/v1/friend-requests/${r.id}`);
    } catch (e) {
      toast(e.message);
    }
    this.refreshContacts();
  }

  renderContacts() {
    const lists = { friend: clear($('#friend-list')), one_way: clear($('#oneway-list')), follower: clear($('#follower-list')) };
    for (const c of this.contacts) {
      const open = () => this.app.openDirect(c.user);
      const row = this.userRow(c.user, [
        h('button', { 'aria-label': `Message ${c.user.nickname}`, onclick: open }, 'Message'),
        c.kind !== 'follower' ? h('button', { class: 'danger', 'aria-label': `Remove ${c.user.nickname}`, onclick: () => this.remove(c) }, 'Remove') : null,
      ]);
      row.classList.add('clickable');
      row.addEventListener('click', (ev) => { if (ev.target.tagName !== 'BUTTON') open(); });
      lists[c.kind]?.append(row);
    }
    for (const [kind, ul] of Object.entries(lists)) {
      if (!ul.children.length) ul.append(h('li', { class: 'hint' }, kind === 'follower' ? 'Nobody follows you one-way' : 'None yet'));
    }
  }

  async remove(c) {
    if (!confirm(`Remove ${c.user.nickname}?`)) return;
    try {
      await this.app.api.del(`/v1/contacts/${c.user.id}`);
    } catch (e) {
      toast(e.message);
    }
    this.refreshContacts();
  }

  // --- groups ---

  renderMemberPicks() {
    const box = clear($('#group-members-pick'));
    const picks = this.contacts.filter((c) => c.kind !== 'follower');
    for (const c of picks) {
      const id = `pick-${c.user.id}`;
      box.append(h('label', { for: id }, h('input', { type: 'checkbox', id, value: c.user.id }), c.user.nickname));
    }
    if (!picks.length) box.append(h('span', { class: 'hint' }, 'Add contacts first'));
  }

  async createGroup() {
    const name = $('#group-name').value.trim();
    const member_ids = [...document.querySelectorAll('#group-members-pick input:checked')].map((i) => Number(i.value));
    try {
      const group = await this.app.api.post('/v1/groups', { name, join_policy: $('#group-policy').value, member_ids });
      $('#group-name').value = '';
      $('#group-create').open = false;
      toast(`Group ${group.name} created`);
      await this.refreshGroups();
      await this.app.syncConversations();
      this.app.openGroup(group);
    } catch (e) {
      toast(e.message);
    }
  }

  async refreshGroups() {
    if (!this.app.me) return;
    try {
      const { groups } = await this.app.api.get('/v1/me/groups');
      this.myGroups = new Set(groups.map((g) => g.id));
      const list = clear($('#group-list'));
      for (const g of groups) {
        const row = h('li', { class: 'item clickable', tabindex: '0', onclick: () => this.app.openGroup(g),
          onkeydown: (e) => { if (e.key === 'Enter') this.app.openGroup(g); } },
        h('span', { class: 'avatar group', 'aria-hidden': 'true' }, initials(g.name)),
        h('div', { class: 'grow' }, h('div', { class: 'name' }, g.name), h('div', { class: 'sub' }, `${g.member_count} members`)));
        list.append(row);
      }
      if (!groups.length) list.append(h('li', { class: 'hint' }, 'No groups yet'));
    } catch (e) {
      toast(e.message);
    }
  }

  async searchGroups() {
    const q = $('#group-search-q').value.trim();
    const list = clear($('#group-results'));
    if (!q) return;
    try {
      const { groups } = await this.app.api.get(`/v1/groups?q=${encodeURIComponent(q)}&limit=20`);
      for (const g of groups) {
        const member = this.myGroups && this.myGroups.has(g.id);
        list.append(h('li', { class: 'item', 'data-group': g.id },
          h('span', { class: 'avatar group', 'aria-hidden': 'true' }, initials(g.name)),
          h('div', { class: 'grow' }, h('div', { class: 'name' }, g.name), h('div', { class: 'sub' }, `${g.member_count} members · ${policyLabel(g.join_policy)}`)),
          h('div', { class: 'actions' }, member
            ? h('button', { onclick: () => this.app.openGroup(g), 'aria-label': `Open ${g.name}` }, 'Open')
            : h('button', { class: 'primary', 'aria-label': `Join ${g.name}`, onclick: () => this.join(g) }, g.join_policy === 'open' ? 'Join' : 'Ask to join'))));
      }
      if (!groups.length) list.append(h('li', { class: 'hint' }, 'No group found'));
    } catch (e) {
      toast(e.message);
    }
  }

  async join(g) {
    try {
      const res = await this.app.api.post(`/v1/groups/${g.id}/join`, {});
      if (res && res.status === 'pending') toast(`Asked to join ${g.name}; an admin will decide`);
      else {
        toast(`You joined ${g.name}`);
        await this.refreshGroups();
        await this.app.syncConversations();
        this.app.openGroup(g);
      }
    } catch (e) {
      toast(e.status === 409 ? 'You already asked or are a member' : e.message);
    }
    this.searchGroups();
  }
}
