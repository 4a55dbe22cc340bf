"""Leaflet/folium maps of analysis results."""
