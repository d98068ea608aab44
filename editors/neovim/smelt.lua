-- smelt language server for Neovim 0.8+ (no plugins needed). Put this file in your config
-- (e.g. ~/.config/nvim/lua/smelt.lua) and add `require("smelt")` to init.lua.
local group = vim.api.nvim_create_augroup("smelt-lsp", { clear = true })

vim.api.nvim_create_autocmd("FileType", {
  group = group,
  pattern = { "terraform", "hcl", "yaml", "helm" },
  callback = function(args)
    local file = vim.api.nvim_buf_get_name(args.buf)
    local marker = vim.fs.find({ "smelt.toml", ".git" }, { upward = true, path = vim.fs.dirname(file) })[1]
    local root = marker and vim.fs.dirname(marker)
    vim.lsp.start({
      name = "smelt",
      cmd = { "smelt", "lsp" }, -- extra flags go here, e.g. "--select", "security"
      root_dir = root or vim.fs.dirname(file),
      -- init_options = { docsBaseUrl = "https://example.com/smelt/docs/rules" },
    }, { bufnr = args.buf })
  end,
})
