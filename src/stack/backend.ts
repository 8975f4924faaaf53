/**
 * Where each stack keeps its state: a local file by default, Terraform Cloud (or Terraform
 * Enterprise) when `TF_CLOUD_ORGANIZATION` is set, with one named workspace per environment.
 * The variable names are Terraform's own, so the same shell works for `terraform` too.
 */
import * as path from 'node:path';
import { CloudBackend, LocalBackend, NamedCloudWorkspace, type TerraformStack } from 'cdktf';

export interface BackendEnv {
  readonly TF_CLOUD_ORGANIZATION?: string;
  readonly TF_CLOUD_HOSTNAME?: string;
  readonly TF_WORKSPACE?: string;
}

export type BackendChoice =
  | { readonly kind: 'local'; readonly statePath: string }
  | { readonly kind: 'cloud'; readonly organization: string; readonly hostname: string; readonly workspace: string };

const WORKSPACE_NAME = /^[A-Za-z0-9_-]{1,90}$/;

/**
 * Decides the backend of stack `environment` of project `projectName`.
 * Local state lives beside cdktf.json as `terraform.<environment>.tfstate` (cdktf's own
 * convention), written as a path relative to the stack folder so the JSON is the same on
 * every machine. Cloud workspaces are named `<TF_WORKSPACE or projectName>-<environment>`.
 */
export function chooseBackend(env: BackendEnv, projectName: string, environment: string, stackDirFromRoot: string): BackendChoice {
  const organization = env.TF_CLOUD_ORGANIZATION?.trim();
  if (!organization) {
    const toRoot = path.posix.relative(stackDirFromRoot.split(path.sep).join('/'), '.') || '.';
    return { kind: 'local', statePath: `${toRoot}/terraform.${environment}.tfstate` };
  }
  const prefix = env.TF_WORKSPACE?.trim() || projectName;
  const workspace = `${prefix}-${environment}`;
  if (!WORKSPACE_NAME.test(workspace)) {
    throw new Error(
      `TF_WORKSPACE: ${JSON.stringify(prefix)} makes the workspace name ${JSON.stringify(workspace)}, which Terraform Cloud does not accept; use letters, digits, "-" and "_" (at most 90 characters in all)`,
    );
  }
  return { kind: 'cloud', organization, hostname: env.TF_CLOUD_HOSTNAME?.trim() || 'app.terraform.io', workspace };
}

export function applyBackend(stack: TerraformStack, choice: BackendChoice): void {
  if (choice.kind === 'local') {
    new LocalBackend(stack, { path: choice.statePath });
  } else {
    new CloudBackend(stack, {
      organization: choice.organization,
      hostname: choice.hostname,
      workspaces: new NamedCloudWorkspace(choice.workspace),
    });
  }
}
