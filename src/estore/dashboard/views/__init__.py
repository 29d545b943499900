"""One module per dashboard page; each has `render(ctx)`. (Not named `pages`: Streamlit would run a
`pages/` folder beside the entry point as pages of its own.)"""
