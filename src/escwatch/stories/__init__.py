"""Stories: reports about the same happening, grouped across outlets and languages."""

from escwatch.stories.cluster import assign_stories, features

__all__ = ["assign_stories", "features"]
