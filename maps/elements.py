"""The folium elements of the page.

Data never passes through a Jinja template: folium re-parses the output of every
``MacroElement`` macro as a template, so a project called ``{{ 7*7 }}`` would be evaluated there.
Data, panels and assets are therefore :class:`RawHTML` elements (rendered as they are), and the
layer elements' templates only hold names and constants chosen by this package.
"""

from __future__ import annotations

from typing import Any

import folium
from branca.element import Element
from folium.map import Layer
from jinja2 import Template

#: Name of the JavaScript variable holding the page's data and configuration.
DATA_VAR = "LU_DATA"


class OfflineMap(folium.Map):
    """A folium map that links no asset from a CDN (folium's defaults pull Leaflet, jQuery,
    Bootstrap, Font Awesome and awesome-markers from the internet; the page adds its own
    local assets instead)."""

    default_js: list[tuple[str, str]] = []
    default_css: list[tuple[str, str]] = []


class RawHTML(Element):
    """Markup rendered exactly as given (never parsed as a template)."""

    def __init__(self, markup: str, name: str = "RawHTML") -> None:
        super().__init__()
        self._name = name
        self._markup = markup

    def render(self, **kwargs: object) -> str:
        """The markup, unchanged."""
        return self._markup


class _Layer(Layer):
    """A layer listed in the layer control whose template alone decides when it joins the map
    (folium >= 0.20's ``Layer.render`` would add every shown layer at once)."""

    def render(self, **kwargs: Any) -> Any:
        """Render the template only."""
        return folium.MacroElement.render(self, **kwargs)


class ParcelLayer(_Layer):
    """The parcels of one status drawn from the page's inline GeoJSON (one SVG path each)."""

    _template = Template(
        """
        {% macro script(this, kwargs) %}
            var {{ this.get_name() }} = LanduseMap.parcelLayer(
                {{ this.data_var }}.parcels, {{ this.status|tojson }}
            );
            {%- if this.show %}
            {{ this.get_name() }}.addTo({{ this._parent.get_name() }});
            {%- endif %}
        {% endmacro %}
        """
    )

    def __init__(self, status: str, name: str, *, show: bool = True) -> None:
        super().__init__(name=name, overlay=True, control=True, show=show)
        self._name = "ParcelLayer"
        self.status = status
        self.data_var = DATA_VAR


class TileParcelLayer(_Layer):
    """The parcels of one status drawn from the API's vector tiles (canvas tiles).

    The layer joins the map only after the view is fitted to the data (``LU_DATA.deferred``),
    so no tile of the initial world view is ever requested."""

    _template = Template(
        """
        {% macro script(this, kwargs) %}
            var {{ this.get_name() }} = LanduseTiles.statusLayer(
                {{ this.data_var }}.tileSource, {{ this.status|tojson }}
            );
            {{ this.data_var }}.tileLayers[{{ this.status|tojson }}] = {{ this.get_name() }};
            {%- if this.show %}
            {{ this.data_var }}.deferred.push({{ this.get_name() }});
            {%- endif %}
        {% endmacro %}
        """
    )

    def __init__(self, status: str, name: str, *, show: bool = True) -> None:
        super().__init__(name=name, overlay=True, control=True, show=show)
        self._name = "TileParcelLayer"
        self.status = status
        self.data_var = DATA_VAR


class ChangeLayer(_Layer):
    """The parcels whose status changed since an earlier run (``LU_DATA.changes``), outlined
    in the colour of their kind of change: from the inline GeoJSON, or with ``tiles`` on
    canvas tiles of the parcels' vector tiles."""

    _template = Template(
        """
        {% macro script(this, kwargs) %}
            {%- if this.tiles %}
            var {{ this.get_name() }} = LanduseTiles.changeLayer(
                {{ this.data_var }}.tileSource, {{ this.data_var }}.changes
            );
            {%- if this.show %}
            {{ this.data_var }}.deferred.push({{ this.get_name() }});
            {%- endif %}
            {%- else %}
            var {{ this.get_name() }} = LanduseMap.changeLayer(
                {{ this.data_var }}.parcels, {{ this.data_var }}.changes
            );
            {%- if this.show %}
            {{ this.get_name() }}.addTo({{ this._parent.get_name() }});
            {%- endif %}
            {%- endif %}
            {{ this.data_var }}.changeLayer = {{ this.get_name() }};
        {% endmacro %}
        """
    )

    def __init__(self, name: str, *, tiles: bool = False, show: bool = True) -> None:
        super().__init__(name=name, overlay=True, control=True, show=show)
        self._name = "ChangeLayer"
        self.tiles = tiles
        self.data_var = DATA_VAR


class ParkLayer(_Layer):
    """Park boundaries (dashed outlines) with their names as labels."""

    _template = Template(
        """
        {% macro script(this, kwargs) %}
            var {{ this.get_name() }} = LanduseMap.parkLayer({{ this.data_var }}.parks);
            {%- if this.show %}
            {{ this.get_name() }}.addTo({{ this._parent.get_name() }});
            {%- endif %}
        {% endmacro %}
        """
    )

    def __init__(self, name: str, *, show: bool = True) -> None:
        super().__init__(name=name, overlay=True, control=True, show=show)
        self._name = "ParkLayer"
        self.data_var = DATA_VAR


class FootprintLayer(_Layer):
    """Building footprints (grey), from the page's inline GeoJSON or, with ``tiles``, from
    the API's buildings tiles; shown at large scales only."""

    _template = Template(
        """
        {% macro script(this, kwargs) %}
            {%- if this.tiles %}
            var {{ this.get_name() }} = LanduseTiles.footprintLayer(
                {{ this.data_var }}.footprintTiles
            );
            {{ this.data_var }}.deferred.push({{ this.get_name() }});
            {%- else %}
            var {{ this.get_name() }} = LanduseMap.footprintLayer({{ this.data_var }}.buildings);
            {{ this.get_name() }}.addTo({{ this._parent.get_name() }});
            {%- endif %}
        {% endmacro %}
        """
    )

    def __init__(self, name: str, *, tiles: bool) -> None:
        super().__init__(name=name, overlay=True, control=True, show=True)
        self._name = "FootprintLayer"
        self.data_var = DATA_VAR
        self.tiles = tiles


class PageSetup(folium.MacroElement):
    """Hands the map to the page script, adds the legend and panel controls, fits the view
    and, in tile mode, wires clicks and hovers to the tile layers."""

    _template = Template(
        """
        {% macro script(this, kwargs) %}
            LanduseMap.setup({{ this._parent.get_name() }}, {{ this.data_var }});
            {%- if this.tiles %}
            LanduseTiles.interact({{ this._parent.get_name() }}, {{ this.data_var }});
            {%- endif %}
        {% endmacro %}
        """
    )

    def __init__(self, *, tiles: bool) -> None:
        super().__init__()
        self._name = "PageSetup"
        self.data_var = DATA_VAR
        self.tiles = tiles
