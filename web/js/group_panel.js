// group_panel.js - a group's details inside its chat: members and roles,
// join requests (owner/admin), adding contacts, leaving.

import { $, clear, h, toast } from './dom.js';

const ROLE_RANK = { owner: 3, admin: 2, member: 1 };

export class GroupPanel {
  constructor(app) {
    this.app = app;
  }

  async show(gid) {
    const panel = $('#group-panel');
    let group, members, requests = [];
    try {
      group = await this.app.api.get(`/v1/groups/${gid}`);
      members = (await this.app.api.get(`/v1/groups/${gid}/members`)).members;
    } catch (e) {
      clear(panel).append(h('p', { class: 'hint' }, `You are not a member of this group any more (${e.message}).`));
      return;
    }
    for (const m of members) this.app.users.set(m.user.id, m.user);
    const mine = members.find((m) => m.user.id === this.app.me.id);
    const myRole = mine ? mine.role : null;
    if (myRole === 'owner' || myRole === 'admin') {
      try {
        requests = (await this.app.api.get(`/v1/groups/${gid}/join-requests`)).requests;
      } catch {
        requests = [];
      }
    }
    clear(panel);
    panel.append(h('div', { class: 'item' },
      h('div', { class: 'grow' },
        h('div', { class: 'name' }, group.name),
        h('div', { class: 'sub' }, `${group.member_count} members · ${policyLabel(group.join_policy)}${group.description ? ` · ${group.description}` : ''}`))));

    if (requests.length) {
      panel.append(h('h3', { id: 'join-requests-title' }, 'Join requests'));
      panel.append(h('ul', { class: 'list', 'aria-labelledby': 'join-requests-title' }, requests.map((r) => h('li', { class: 'item' },
        h('div', { class: 'grow' }, h('div', { class: 'name' }, r.user.nickname), h('div', { class: 'sub' }, r.message || `@${r.user.username}`)),
        h('div', { class: 'actions' },
          h('button', { class: 'primary', 'aria-label': `Approve ${r.user.nickname}`, onclick: () => this.act('POST', `/v1/groups/${gid}/join-requests/${r.id}/approve`, gid) }, 'Approve'),
          h('button', { 'aria-label': `Reject ${r.user.nickname}`, onclick: () => this.act('POST', `/v1/groups/${gid}/join-requests/${r.id}/reject`, gid) }, 'Reject'))))));
    }

    panel.append(h('h3', { id: 'members-title' }, 'Members'));
    panel.append(h('ul', { class: 'list', 'aria-labelledby': 'members-title' }, members.map((m) => this.memberRow(gid, m, myRole))));

    if (myRole === 'owner' || myRole === 'admin') panel.append(this.addForm(gid, members));
    if (myRole) {
      const actions = h('div', { class: 'actions item' });
      actions.append(h('button', { class: 'danger', onclick: () => this.leave(gid, myRole) }, 'Leave group'));
      if (myRole === 'owner') actions.append(h('button', { class: 'danger', onclick: () => this.dismiss(gid) }, 'Dismiss group'));
      panel.append(actions);
    }
  }

  memberRow(gid, m, myRole) {
    const me = m.user.id === this.app.me.id;
    const row = h('li', { class: 'item', 'data-user': m.user.id },
      h('div', { class: 'grow' },
        h('div', { class: 'name' }, `${m.user.nickname}${me ? ' (you)' : ''}`),
        h('div', { class: 'sub role' }, m.role)));
    const actions = h('div', { class: 'actions' });
    if (!me && myRole === 'owner' && m.role !== 'owner') {
      const sel = h('select', { 'aria-label': `Role of ${m.user.nickname}` },
        h('option', { value: 'member', selected: m.role === 'member' }, 'member'),
        h('option', { value: 'admin', selected: m.role === 'admin' }, 'admin'));
      sel.addEventListener('change', () => this.act('PATCH', `/v1/groups/${gid}/members/${m.user.id}`, gid, { role: sel.value }));
      actions.append(sel);
      actions.append(h('button', { 'aria-label': `Make ${m.user.nickname} the owner`, onclick: () => this.act('POST', `/v1/groups/${gid}/transfer`, gid, { user_id: m.user.id }) }, 'Make owner'));
    }
    if (!me && myRole && ROLE_RANK[myRole] >= 2 && ROLE_RANK[myRole] > ROLE_RANK[m.role]) {
      actions.append(h('button', { class: 'danger', 'aria-label': `Remove ${m.user.nickname}`, onclick: () => this.act('DELETE', `/v1/groups/${gid}/members/${m.user.id}`, gid) }, 'Remove'));
    }
    row.append(actions);
    return row;
  }

  addForm(gid, members) {
    const inGroup = new Set(members.map((m) => m.user.id));
    const candidates = this.app.panels.contacts.filter((c) => c.kind !== 'follower' && !inGroup.has(c.user.id));
    if (!candidates.length) return h('span');
    const sel = h('select', { 'aria-label': 'Contact to add' }, candidates.map((c) => h('option', { value: c.user.id }, c.user.nickname)));
    return h('div', { class: 'item' }, sel,
      h('button', { onclick: () => this.act('POST', `/v1/groups/${gid}/members`, gid, { user_ids: [Number(sel.value)] }) }, 'Add to group'));
  }

  async act(method, path, gid, body) {
    try {
      await this.app.api.request(method, path, body);
    } catch (e) {
      toast(e.message);
    }
    this.show(gid);
  }

  async leave(gid, role) {
    if (role === 'owner') {
      toast('Make someone else the owner first, or dismiss the group');
      return;
    }
    if (!confirm('Leave this group?')) return;
    try {
      await this.app.api.del(`/v1/groups/${gid}/members/${this.app.me.id}`);
      toast('You left the group');
      this.app.panels.refreshGroups();
      this.show(gid);
    } catch (e) {
      toast(e.message);
    }
  }

  async dismiss(gid) {
    if (!confirm('Dismiss this group for everyone?')) return;
    try {
      await this.app.api.del(`/v1/groups/${gid}`);
      this.app.panels.refreshGroups();
      this.show(gid);
    } catch (e) {
      toast(e.message);
    }
  }
}

export function policyLabel(p) {
  return { open: 'anyone may join', approval: 'join after approval', invite_only: 'invite only' }[p] || p;
}
