"""kbsite: offline, static knowledge-base sites (an MkDocs plugin and a command line)."""
