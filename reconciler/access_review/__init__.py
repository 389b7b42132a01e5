"""The access review: for each group and member, who granted the access, when, and who
approved it, read from the live server, git's history and the pull requests.

- ``places``: where each membership is written (file and line of the desired state);
- ``history``: which commit granted it (the desired state's history, replayed in one
  ``git log`` pass; ``gitparse`` reads git's output);
- ``pulls``: the pull request of that commit, its requester, title and approvals (GitHub);
- ``gather``: the server's members beside git's, paired and flagged (pure);
- ``model``: the review as plain data; ``review``: the pieces put together.

The renderers are in ``reconciler.render.access_review``; the command is
``scimctl access-review`` (``reconciler.cli.access_review``).
"""
