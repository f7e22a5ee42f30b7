"""Signals org sends so that higher apps can keep what they derive from the department tree in step."""

from django.dispatch import Signal

# A department moved to another parent, its whole subtree with it; sent inside the move's transaction, after the
# paths and the ancestor closure changed. Arguments: department (a Department), old_path and new_path (its
# materialized paths before and after, e.g. "/1/4/17/" and "/1/9/17/").
department_moved = Signal()
