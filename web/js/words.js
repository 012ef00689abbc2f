// words.js - what system messages say.

// A system message's text, parsed: {"event": ..., ...} or null.
export function systemEvent(m) {
  if (m.kind !== 'system' || !m.text) return null;
  try {
    return JSON.parse(m.text);
  } catch {
    return null;
  }
}

// Words for a system message; null for recall markers (the recalled
// message itself says it).
export function describeSystem(app, m) {
  const ev = systemEvent(m);
  if (!ev) return m.text || '';
  const who = app.displayName(m.sender_id);
  const other = ev.user_id ? app.displayName(ev.user_id) : '';
  switch (ev.event) {
    case 'message_recalled': return null;
    case 'group_created': return `${who} created the group`;
    case 'member_joined': return ev.user_id && ev.user_id !== m.sender_id ? `${who} let ${other} in` : `${who} joined`;
    case 'members_added': case 'member_added': return `${who} added ${(ev.user_ids || [ev.user_id]).map((id) => app.displayName(id)).join(', ')}`;
    case 'member_left': return `${who} left`;
    case 'member_removed': return `${who} removed ${other}`;
    case 'role_changed': return `${who} made ${other} ${ev.role || 'a member'}`;
    case 'owner_transferred': case 'ownership_transferred': return `${who} handed the group to ${other}`;
    case 'group_dismissed': return `${who} dismissed the group`;
    default: return ev.event.replace(/_/g, ' ');
  }
}

