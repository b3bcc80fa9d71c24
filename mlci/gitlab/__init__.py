"""GitLab merge requests: the GitLab CI context, the REST client, publishing, and the
JUnit and dotenv reports GitLab's merge-request widget reads.

Each module owns one thing: :mod:`.context` the job's ``CI_*`` variables and the
token, :mod:`.client` every call to GitLab's REST API (through python-gitlab),
:mod:`.publish` the sticky note and the commit status, :mod:`.reports` the files the
job leaves for ``artifacts:reports``. Nothing here computes a verdict.
"""
