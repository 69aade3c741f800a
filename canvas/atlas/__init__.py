"""A board's atlas sheets: which images go in which sheet, rebuilt as the board changes
(see docs/assets.md "Atlas sheets"). The pixels are packed by assets.atlas."""
