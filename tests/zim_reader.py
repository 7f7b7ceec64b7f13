"""Read a ZIM back with libzim's reader and print what the tests check, as JSON.

Run by tests/test_zim.py with Debian's python3 and its python3-libzim (GPL): a separate process,
so nothing GPL is imported into kbsite's environment.
"""

import json
import struct
import sys

from libzim.reader import Archive  # type: ignore[import-not-found]
from libzim.search import Query, Searcher  # type: ignore[import-not-found]

archive = Archive(sys.argv[1])
word = sys.argv[2]
meta = {
    key: archive.get_metadata(key).decode()
    for key in archive.metadata_keys
    if not key.startswith("Illustration")
}
icon = archive.get_metadata("Illustration_48x48@1")
entries = {}
for n in range(archive.entry_count):
    entry = archive._get_entry_by_id(n)
    if entry.is_redirect:
        continue
    item = entry.get_item()
    if item.mimetype.startswith("text/html"):
        entries[entry.path] = bytes(item.content).decode()
search = Searcher(archive).search(Query().set_query(word))
main = archive.main_entry
main_path = (main.get_redirect_entry() if main.is_redirect else main).path
print(
    json.dumps(
        {
            "metadata": meta,
            "illustration": [icon[:8].hex(), *struct.unpack(">II", icon[16:24])],
            "main": main_path,
            "fulltext": archive.has_fulltext_index,
            "hits": list(search.getResults(0, 10)),
            "html": entries,
            "paths": [archive._get_entry_by_id(n).path for n in range(archive.entry_count)],
        }
    )
)
