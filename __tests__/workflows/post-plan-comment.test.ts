/**
 * The pull-request workflow's comment step (.github/scripts/post-plan-comment.cjs), run with a
 * fake GitHub client: one comment per environment, edited on the next push, never a person's
 * comment overwritten, GitHub's size limit kept, and a failed plan still reported.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

interface Comment {
  id: number;
  body: string;
  user: { type: 'Bot' | 'User' };
  html_url: string;
}

interface PostPlanCommentModule {
  COMMENT_LIMIT: number;
  postPlanComment(args: { github: FakeGitHub; context: typeof context; core: { info(line: string): void }; environment: string; file: string }): Promise<'created' | 'updated'>;
}

const { COMMENT_LIMIT, postPlanComment } = require('../../.github/scripts/post-plan-comment.cjs') as PostPlanCommentModule;

const context = {
  serverUrl: 'https://github.com',
  repo: { owner: 'acme', repo: 'api' },
  runId: 42,
  payload: { pull_request: { number: 7, head: { sha: 'abc123' } } },
};

class FakeGitHub {
  comments: Comment[] = [];
  private nextId = 1;
  readonly rest = {
    issues: {
      listComments: (): void => undefined,
      createComment: async (args: { issue_number: number; body: string }) => {
        const comment: Comment = { id: this.nextId++, body: args.body, user: { type: 'Bot' }, html_url: `u${this.nextId}` };
        this.comments.push(comment);
        return { data: comment };
      },
      updateComment: async (args: { comment_id: number; body: string }) => {
        const comment = this.comments.find((c) => c.id === args.comment_id);
        if (!comment) throw new Error(`no comment ${args.comment_id}`);
        comment.body = args.body;
      },
    },
  };
  async paginate(): Promise<Comment[]> {
    return this.comments.map((c) => ({ ...c }));
  }
}

const core = { info: (): void => undefined };
let dir: string;
beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'plan-comment-'));
});
afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

function summaryFile(environment: string, text: string): string {
  const file = path.join(dir, `${environment}.md`);
  fs.writeFileSync(file, text);
  return file;
}

describe('post-plan-comment.cjs', () => {
  it('creates one comment per environment, then edits it on the next push', async () => {
    const github = new FakeGitHub();
    const dev = summaryFile('dev', '<!-- iam-http-api-plan:dev -->\n### `dev`: 0 to add, 1 to change, 0 to destroy\n');
    const prod = summaryFile('prod', '<!-- iam-http-api-plan:prod -->\n### `prod`: no changes.\n');
    expect(await postPlanComment({ github, context, core, environment: 'dev', file: dev })).toBe('created');
    expect(await postPlanComment({ github, context, core, environment: 'prod', file: prod })).toBe('created');
    fs.writeFileSync(dev, '<!-- iam-http-api-plan:dev -->\n### `dev`: no changes.\n');
    expect(await postPlanComment({ github, context, core, environment: 'dev', file: dev })).toBe('updated');
    expect(github.comments).toHaveLength(2);
    expect(github.comments[0]?.body).toBe(
      '<!-- iam-http-api-plan:dev -->\n### `dev`: no changes.\n\n\n---\n<sub>Plan of `dev` for abc123 · [workflow run](https://github.com/acme/api/actions/runs/42)</sub>',
    );
  });

  it('never edits a person\'s comment that quotes the marker', async () => {
    const github = new FakeGitHub();
    github.comments.push({ id: 99, body: '<!-- iam-http-api-plan:dev -->\nlooks fine to me', user: { type: 'User' }, html_url: 'x' });
    expect(await postPlanComment({ github, context, core, environment: 'dev', file: summaryFile('dev', 'plan') })).toBe('created');
    expect(github.comments[0]?.body).toBe('<!-- iam-http-api-plan:dev -->\nlooks fine to me');
  });

  it('says the plan failed when there is no summary', async () => {
    const github = new FakeGitHub();
    await postPlanComment({ github, context, core, environment: 'prod', file: path.join(dir, 'missing.md') });
    expect(github.comments[0]?.body).toMatch(/^<!-- iam-http-api-plan:prod -->\n### Plan for `prod` failed\n\nNo summary was written; see the \[workflow run\]/);
  });

  it('cuts a summary longer than GitHub allows, keeping the marker and pointing at the run', async () => {
    const github = new FakeGitHub();
    const huge = `<!-- iam-http-api-plan:dev -->\n${'x'.repeat(COMMENT_LIMIT)}\n`;
    await postPlanComment({ github, context, core, environment: 'dev', file: summaryFile('dev', huge) });
    const body = github.comments[0]?.body ?? '';
    expect(body.length).toBe(COMMENT_LIMIT);
    expect(body.startsWith('<!-- iam-http-api-plan:dev -->\n')).toBe(true);
    expect(body).toContain("> **Truncated:** this summary is longer than a GitHub comment may be. The whole summary is in the [run's summary](https://github.com/acme/api/actions/runs/42).");
  });
});
