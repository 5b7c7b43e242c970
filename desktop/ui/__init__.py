"""The Qt face of Chartkeeper: the main window, its tabs and dialogs. The only package that imports Qt."""
