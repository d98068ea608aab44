-- smelt with nvim-lspconfig: register it once as a custom server, then set it up like any other.
local configs = require("lspconfig.configs")
local util = require("lspconfig.util")

if not configs.smelt then
  configs.smelt = {
    default_config = {
      cmd = { "smelt", "lsp" },
      filetypes = { "terraform", "hcl", "yaml", "helm" },
      root_dir = util.root_pattern("smelt.toml", ".git"),
      single_file_support = true,
    },
  }
end

require("lspconfig").smelt.setup({})
