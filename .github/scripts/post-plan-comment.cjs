// The pull-request workflow's plan comment: one comment per environment, found again by the
// hidden marker `npm run plan` puts on its first line and edited in place, so a push updates
// the review instead of adding a comment. Run by actions/github-script; tested by
// __tests__/workflows/post-plan-comment.test.ts with a fake GitHub client.
'use strict';

const fs = require('node:fs');

/** GitHub rejects issue comments longer than this. */
const COMMENT_LIMIT = 65536;

function markerOf(environment) {
  return `<!-- iam-http-api-plan:${environment} -->`;
}

/**
 * The comment body: the summary (or a failure note), a footer naming the commit and the run,
 * cut to GitHub's limit with a note pointing at the run's summary, which has all of it.
 */
function commentBody({ environment, summary, sha, runUrl }) {
  const marker = markerOf(environment);
  const text = summary ?? `### Plan for \`${environment}\` failed\n\nNo summary was written; see the [workflow run](${runUrl}).`;
  const head = text.startsWith(marker) ? '' : `${marker}\n`;
  const foot = `\n\n---\n<sub>Plan of \`${environment}\` for ${sha} · [workflow run](${runUrl})</sub>`;
  const body = head + text + foot;
  if (body.length <= COMMENT_LIMIT) return body;
  const note = `\n\n> **Truncated:** this summary is longer than a GitHub comment may be. The whole summary is in the [run's summary](${runUrl}).`;
  let cut = text.slice(0, COMMENT_LIMIT - head.length - note.length - foot.length);
  // Do not leave half of a surrogate pair at the end.
  if (/[\uD800-\uDBFF]$/.test(cut)) cut = cut.slice(0, -1);
  return head + cut + note + foot;
}

/** Creates or updates the environment's comment on the pull request; returns what it did. */
async function postPlanComment({ github, context, core, environment, file }) {
  const runUrl = `${context.serverUrl}/${context.repo.owner}/${context.repo.repo}/actions/runs/${context.runId}`;
  const summary = fs.existsSync(file) ? fs.readFileSync(file, 'utf8') : undefined;
  const body = commentBody({ environment, summary, sha: context.payload.pull_request.head.sha, runUrl });
  const issue_number = context.payload.pull_request.number;
  const { owner, repo } = context.repo;
  const comments = await github.paginate(github.rest.issues.listComments, { owner, repo, issue_number, per_page: 100 });
  const marker = markerOf(environment);
  // Only a bot's comment: a person quoting the marker must not have their comment overwritten.
  const previous = comments.find((c) => c.user && c.user.type === 'Bot' && typeof c.body === 'string' && c.body.startsWith(marker));
  if (previous) {
    await github.rest.issues.updateComment({ owner, repo, comment_id: previous.id, body });
    core.info(`Updated comment ${previous.html_url}`);
    return 'updated';
  }
  const created = await github.rest.issues.createComment({ owner, repo, issue_number, body });
  core.info(`Created comment ${created.data.html_url}`);
  return 'created';
}

module.exports = { COMMENT_LIMIT, commentBody, markerOf, postPlanComment };
