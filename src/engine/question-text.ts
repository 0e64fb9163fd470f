import type { Question } from './events.js';

/**
 * A question in one line, as the record of decisions keeps it: what the operator was asked. The
 * journal masks secrets in it like in every other entry.
 */
export function questionText(question: Question): string {
  switch (question.kind) {
    case 'step.action':
      return question.pause
        ? `Paused before step ${question.card.number} "${question.card.title}": go on?`
        : `Step ${question.card.number} "${question.card.title}": ${question.choices.join(', ')}?`;
    case 'step.confirm':
      return question.question;
    case 'step.rerun':
      return `Which finished step to run again (${question.steps.map((s) => s.id).join(', ')})?`;
    case 'step.type':
      return `Type "${question.expected}" to ${question.again ? 'run it again' : 'run'} "${question.id}"`;
    case 'manual.done':
      return `Manual step "${question.id}" done?`;
    case 'manual.item':
      return `"${question.id}" item ${question.index} of ${question.total}: ${question.text}`;
    case 'failure.action':
      return `"${question.id}" failed (${question.reason}): retry, skip and go on, ${question.canRollback ? 'roll back, ' : ''}or abort?`;
    case 'inflight.action':
      return `"${question.title}" was running when drctl stopped: run it again, skip it or abort?`;
    case 'inflight.rollback':
      return `The rollback of "${question.title}" was running when drctl stopped: did it work?`;
    case 'run.participant':
      return `Who takes part (participant ${question.number})?`;
  }
}
