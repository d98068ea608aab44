// A thin client: VS Code starts `smelt lsp` over stdio and shows what it reports. Every feature
// (diagnostics, "suppress with a reason", hover docs) lives in the server.
import * as vscode from "vscode";
import { LanguageClient, LanguageClientOptions, ServerOptions } from "vscode-languageclient/node";

let client: LanguageClient | undefined;

function settings() {
  const c = vscode.workspace.getConfiguration("smelt");
  return {
    enable: c.get<boolean>("enable", true),
    path: c.get<string>("path", "smelt") || "smelt",
    args: c.get<string[]>("args", []),
    docsBaseUrl: c.get<string>("docsBaseUrl", ""),
  };
}

async function start(context: vscode.ExtensionContext): Promise<void> {
  const s = settings();
  if (!s.enable) {
    return;
  }
  const serverOptions: ServerOptions = {
    command: s.path,
    args: ["lsp", ...s.args],
  };
  const clientOptions: LanguageClientOptions = {
    documentSelector: [
      { scheme: "file", pattern: "**/*.tf" },
      { scheme: "file", pattern: "**/*.tf.json" },
      { scheme: "file", pattern: "**/*.tfvars" },
      { scheme: "file", pattern: "**/*.{yml,yaml}" },
      // Helm chart helpers: an edit re-renders the chart and updates its open templates.
      { scheme: "file", pattern: "**/templates/*.tpl" },
    ],
    initializationOptions: s.docsBaseUrl ? { docsBaseUrl: s.docsBaseUrl } : {},
    synchronize: {
      fileEvents: vscode.workspace.createFileSystemWatcher("**/{smelt.toml,*.tf,*.tf.json}"),
    },
  };
  client = new LanguageClient("smelt", "smelt", serverOptions, clientOptions);
  try {
    await client.start();
  } catch (e) {
    void vscode.window.showErrorMessage(
      `smelt: could not start \`${s.path} lsp\` (set smelt.path to the smelt binary): ${e}`,
    );
  }
}

async function stop(): Promise<void> {
  if (client) {
    await client.stop();
    client = undefined;
  }
}

export async function activate(context: vscode.ExtensionContext): Promise<void> {
  context.subscriptions.push(
    vscode.commands.registerCommand("smelt.restart", async () => {
      await stop();
      await start(context);
    }),
    vscode.workspace.onDidChangeConfiguration(async (e) => {
      if (e.affectsConfiguration("smelt")) {
        await stop();
        await start(context);
      }
    }),
  );
  await start(context);
}

export async function deactivate(): Promise<void> {
  await stop();
}
