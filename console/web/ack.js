// The acknowledge-with-a-note control of a finding (asset managers and admins; others see none).
import * as api from './api.js';
import { h, replace, notice, announce } from './dom.js';

// A <form> that acknowledges `finding` with a note and calls onDone(updated finding). Null when not offered.
export function ackForm(finding, can, onDone) {
  if (!can('manage') || finding.state !== 'FINDING_STATE_OPEN') return null;
  const note = h('input', { type: 'text', name: 'note', maxlength: 1000, required: true,
    'aria-label': `Note acknowledging finding ${finding.id}`, placeholder: 'What is being done' });
  const message = h('span', { class: 'message' });
  const form = h('form', { class: 'ack', dataset: { finding: finding.id } },
    note, h('button', { type: 'submit' }, 'Acknowledge'), message);
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    try {
      const updated = await api.call('pumptrack.v1.FindingService/AcknowledgeFinding',
        { id: finding.id, note: note.value.trim() });
      announce(`Finding ${finding.id} acknowledged.`);
      onDone(updated);
    } catch (error) {
      replace(message, notice('error', error.message));
    }
  });
  return form;
}
