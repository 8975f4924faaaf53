/**
 * The plan summary as Markdown: readable in a terminal, and the body of the pull-request
 * comment (the first line is a hidden marker the workflow uses to update its own comment).
 */
import { isTrustWarning, type DriftSummary, type PlanSummary, type PolicyDiff, type ResourceAction, type ResourceChangeSummary } from './summarize-plan';

const SYMBOL: Record<ResourceAction, string> = { create: '+ create', update: '~ update', replace: '-/+ replace', delete: '- destroy', forget: '. forget' };

/** The marker a PR comment for `environment` starts with. */
export function commentMarker(environment: string): string {
  return `<!-- iam-http-api-plan:${environment} -->`;
}

function code(text: string): string {
  return `\`${text.replace(/`/g, "'")}\``;
}

function cell(text: string): string {
  return text.replace(/\|/g, '\\|').replace(/\n/g, ' ');
}

function policyBlock(address: string, diff: PolicyDiff, heading: string): string[] {
  const note = diff.partlyUnknown ? ' (as configured; ARNs are known after apply)' : '';
  return [`**${code(address)}** ${code(diff.attribute)} ${heading}${note}:`, '', '```diff', ...diff.lines, '```', ''];
}

function whatChanges(change: ResourceChangeSummary | DriftSummary): string {
  const parts = [
    ...change.attributes.map((a) => `${code(a.name)}: ${a.before} → ${a.after}`),
    ...change.policyDiffs.map((p) => `${code(p.attribute)} (policy, below)`),
  ];
  return parts.length > 0 ? cell(parts.join('; ')) : '';
}

export function renderSummary(summary: PlanSummary): string {
  const { environment, counts } = summary;
  const lines: string[] = [commentMarker(environment)];
  const nothing = summary.changes.length === 0 && summary.outputs.length === 0;
  lines.push(
    nothing
      ? `### ${code(environment)}: no changes. The infrastructure matches the configuration.`
      : `### ${code(environment)}: ${counts.add} to add, ${counts.change} to change, ${counts.destroy} to destroy`,
    '',
  );

  const invokeWarnings = summary.warnings.filter((w) => !isTrustWarning(w));
  if (invokeWarnings.length > 0) {
    lines.push('> [!CAUTION]', '> **ACCESS GRANTED. Review who can call what before applying:**');
    for (const w of invokeWarnings) lines.push(`> - ⚠️ ${w.message}`);
    lines.push('');
  }
  const trustWarnings = summary.warnings.filter(isTrustWarning);
  if (trustWarnings.length > 0) {
    lines.push('> [!CAUTION]', '> **ROLE TRUST WIDENED. Review who can assume which role before applying:**');
    for (const w of trustWarnings) lines.push(`> - ⚠️ ${w.message}`);
    lines.push('');
  }

  if (summary.changes.length > 0) {
    lines.push('| Action | Resource | What changes |', '|---|---|---|');
    for (const c of summary.changes) {
      const reason = c.reason ? ` (${c.reason.replace(/_/g, ' ')})` : '';
      lines.push(`| ${SYMBOL[c.action]} | ${code(c.address)} | ${whatChanges(c)}${cell(reason)} |`);
    }
    lines.push('');
    if (summary.trustNarrowed.length > 0) {
      lines.push('Role trust narrowed:', '', ...summary.trustNarrowed.map((n) => `- ${n.message}`), '');
    }
    for (const c of summary.changes) {
      for (const diff of c.policyDiffs) lines.push(...policyBlock(c.address, diff, c.action === 'create' ? 'new' : 'changes'));
    }
  }

  if (summary.outputs.length > 0) {
    const outs = summary.outputs.map((o) => `${code(o.name)} (${o.action}${o.sensitive ? ', sensitive' : ''})`);
    lines.push(`Outputs: ${outs.join(', ')}`, '');
  }

  if (summary.drift.length > 0) {
    lines.push('#### Changed outside Terraform (drift)', '');
    lines.push('| Resource | What changed | This plan |', '|---|---|---|');
    for (const d of summary.drift) {
      const what = d.action === 'delete' ? 'deleted' : whatChanges(d);
      const plan = d.revertedByPlan ? (d.action === 'delete' ? 'recreates it' : 'puts it back') : 'leaves it';
      lines.push(`| ${code(d.address)} | ${what} | ${plan} |`);
    }
    lines.push('');
    for (const d of summary.drift) {
      for (const diff of d.policyDiffs) lines.push(...policyBlock(d.address, diff, 'as found in AWS (- recorded in state, + actual)'));
    }
  }

  if (summary.terraformVersion) lines.push(`<sub>Terraform ${summary.terraformVersion}</sub>`, '');
  return `${lines.join('\n').trimEnd()}\n`;
}
