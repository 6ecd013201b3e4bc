"""The handlers of the web pages, one module per part of the site."""
