/*
 * landuse map page: parcel and park layers, popups, tooltips and map controls.
 *
 * Text from the data is only ever put into the page with textContent (never innerHTML), so
 * markup in a project name shows as its characters and never runs. The page's data and
 * settings come in one object (LU_DATA, written by maps/render.py).
 */
(function (global) {
  'use strict';

  var L = global.L;
  var cfg = null; // LU_DATA, set by setup()

  function el(tag, className, text) {
    var node = document.createElement(tag);
    if (className) node.className = className;
    if (text !== undefined && text !== null) node.textContent = String(text);
    return node;
  }

  function isBlank(v) {
    return v === null || v === undefined || v === '' ||
      (typeof v === 'number' && !isFinite(v));
  }

  function locale() {
    return cfg && cfg.lang === 'en' ? 'en-US' : 'zh-CN';
  }

  function number(v, digits) {
    return Number(v).toLocaleString(locale(), {
      minimumFractionDigits: digits, maximumFractionDigits: digits
    });
  }

  function texts() { return cfg.texts; }

  /* The status key a value is drawn under (unknown values go to "other"). */
  function statusKey(status) {
    return Object.prototype.hasOwnProperty.call(cfg.colours, status) ? status : 'other';
  }

  function statusLabel(props) {
    var key = statusKey(props.status);
    if (key !== 'other') return cfg.statusLabels[key];
    return isBlank(props.status_zh) ? (isBlank(props.status) ? cfg.statusLabels.other : props.status)
      : props.status_zh;
  }

  function swatch(status) {
    var s = el('span', 'lu-swatch');
    s.style.background = cfg.colours[statusKey(status)];
    return s;
  }

  /* One popup value as text, by the field's kind (null when there is nothing to show). */
  function formatValue(props, key, kind) {
    var v = props[key];
    if (isBlank(v)) return null;
    var t = texts();
    switch (kind) {
      case 'date': return String(v).slice(0, 10);
      case 'days': return number(v, 0) + ' ' + t.days;
      case 'ha': return number(v, 4);
      case 'wan': return number(v, 2);
      case 'count': return number(v, 0);
      case 'm2': return number(v, 0);
      case 'share': return number(100 * Number(v), 1) + ' %';
      case 'ratio': return number(v, 2);
      case 'bool': return v === true || v === 'true' ? t.yes : t.no;
      case 'code':
        return (cfg.values[key] && cfg.values[key][v] !== undefined) ? cfg.values[key][v] : String(v);
      case 'intensity': {
        var out = number(v, 2);
        var min = props.intensity_min_wan_per_ha;
        if (!isBlank(min)) {
          var below = props.below_threshold === true || props.below_threshold === 'true' ||
            (props.below_threshold === undefined && Number(v) < Number(min));
          out += ' / ' + t.threshold + ' ' + number(min, 2) + ' (' + (below ? t.below : t.meets) + ')';
        }
        return out;
      }
      default: return String(v);
    }
  }

  /* What changed in a parcel since the earlier run ({kind, before, after}, or null): the
     changes of LU_DATA.changes, by parcel_id (else supervision_no). A Map, not an object,
     so a parcel id such as "__proto__" is only ever a key. */
  var changeIndex = null;
  function changeOf(props) {
    if (!cfg || !cfg.changes || !props) return null;
    if (changeIndex === null) {
      changeIndex = new Map();
      cfg.changes.parcels.forEach(function (row) {
        changeIndex.set(row[0], { kind: row[1], before: row[2], after: row[3] });
      });
    }
    var keys = [props.parcel_id, props.supervision_no];
    for (var i = 0; i < keys.length; i++) {
      if (isBlank(keys[i])) continue;
      var found = changeIndex.get(String(keys[i]).trim());
      if (found) return found;
    }
    return null;
  }

  /* The popup's line of a changed parcel: its kind of change, then "上期 X → 本期 Y". */
  function changeLine(change) {
    var line = el('div', 'lu-popup-change');
    line.setAttribute('data-kind', change.kind);
    line.style.borderLeftColor = cfg.changes.colours[change.kind] || '#000000';
    line.appendChild(el('div', 'lu-popup-change-kind', cfg.changes.labels[change.kind] || change.kind));
    line.appendChild(el('div', 'lu-popup-change-move', cfg.changes.before + ' ' + change.before +
      ' → ' + cfg.changes.after + ' ' + change.after));
    return line;
  }

  /* The popup of a parcel: name, id, status, then the facts behind the status by section. */
  function popupContent(props) {
    var root = el('div', 'lu-popup');
    root.appendChild(el('div', 'lu-popup-title',
      isBlank(props.project_name) ? props.parcel_id : props.project_name));
    if (!isBlank(props.parcel_id)) {
      root.appendChild(el('div', 'lu-popup-id', cfg.parcelIdLabel + ' ' + props.parcel_id));
    }
    var status = el('div', 'lu-popup-status');
    status.appendChild(swatch(props.status));
    status.appendChild(el('span', null, statusLabel(props)));
    if (!isBlank(props.as_of_date)) {
      status.appendChild(el('span', 'lu-popup-asof',
        ' · ' + texts().as_of + ' ' + String(props.as_of_date).slice(0, 10)));
    }
    root.appendChild(status);
    var change = changeOf(props);
    if (change) root.appendChild(changeLine(change));
    cfg.sections.forEach(function (section) {
      var rows = [];
      section.fields.forEach(function (field) {
        var value = formatValue(props, field[0], field[2]);
        if (value === null) return;
        var tr = el('tr');
        tr.setAttribute('data-field', field[0]);
        tr.appendChild(el('th', null, field[1]));
        tr.appendChild(el('td', field[2] === 'text' || field[2] === 'code' ? null : 'lu-num', value));
        rows.push(tr);
      });
      if (!rows.length) return;
      root.appendChild(el('div', 'lu-popup-section', section.title));
      var table = el('table', 'lu-popup-table');
      rows.forEach(function (tr) { table.appendChild(tr); });
      root.appendChild(table);
    });
    return root;
  }

  /* The hover text of a parcel: project name, parcel id and status. */
  function tooltipContent(props) {
    var root = el('div', 'lu-tooltip');
    if (!isBlank(props.project_name)) root.appendChild(el('div', 'lu-tooltip-name', props.project_name));
    if (!isBlank(props.parcel_id)) root.appendChild(el('div', 'lu-tooltip-id', props.parcel_id));
    var status = el('div', 'lu-tooltip-status');
    status.appendChild(swatch(props.status));
    status.appendChild(el('span', null, statusLabel(props)));
    root.appendChild(status);
    return root;
  }

  function parcelStyle(status) {
    var key = statusKey(status);
    return {
      color: cfg.stroke, weight: 0.8, opacity: 0.9,
      fillColor: cfg.colours[key], fillOpacity: 0.8,
      className: 'lu-parcel lu-status-' + key
    };
  }

  /* The parcels of one status from the inline GeoJSON: one SVG path per parcel. */
  function parcelLayer(data, status) {
    return L.geoJSON(data, {
      filter: function (f) { return statusKey(f.properties.status) === status; },
      style: function () { return parcelStyle(status); },
      onEachFeature: function (f, layer) {
        layer.bindTooltip(function () { return tooltipContent(f.properties); }, { sticky: true });
        layer.bindPopup(function () { return popupContent(f.properties); },
          { maxWidth: 380, className: 'lu-popup-wrap' });
      }
    });
  }

  function changeStyle(kind) {
    return { color: cfg.changes.colours[kind] || '#000000', weight: 3.5, opacity: 1,
      fill: false, className: 'lu-change lu-change-' + kind };
  }

  /* The changed parcels of the inline GeoJSON, outlined by kind of change (not clickable:
     a click reaches the parcel underneath, whose popup tells the change). */
  function changeLayer(data, changes) {
    return L.geoJSON(changes ? data : null, {
      interactive: false,
      filter: function (f) { return changeOf(f.properties) !== null; },
      style: function (f) { return changeStyle(changeOf(f.properties).kind); }
    });
  }

  /* Park boundaries with their names (the names are data: text nodes only). */
  function parkLayer(data) {
    var layer = L.geoJSON(data, {
      interactive: false,
      style: function () {
        return { color: cfg.parkStroke, weight: 2, dashArray: '6 4', fill: false,
          className: 'lu-park-outline' };
      },
      onEachFeature: function (f, layer) {
        var name = f.properties && f.properties.park;
        if (isBlank(name)) return;
        layer.bindTooltip(function () { return el('span', null, name); },
          { permanent: true, direction: 'center', className: 'lu-park-label', interactive: false });
      }
    });
    if (!data && cfg.parksUrl) {
      // Results without boundaries: the API's parks collection (hulls of the parcels).
      fetch(cfg.parksUrl, { headers: { Accept: 'application/geo+json' } })
        .then(function (r) { return r.ok ? r.json() : null; })
        .then(function (fc) { if (fc) layer.addData(fc); });
    }
    return layer;
  }

  /* Building footprints from the inline GeoJSON: grey outlines, on the map only from
     FOOTPRINT_MIN_ZOOM (thousands of small shapes would hide the parcels' colours). */
  var FOOTPRINT_MIN_ZOOM = 16;
  function footprintStyle() {
    return { color: '#333333', weight: 0.8, opacity: 0.9, fillColor: '#555555',
      fillOpacity: 0.35, className: 'lu-footprint' };
  }

  function footprintLayer(data) {
    var shapes = L.geoJSON(data, {
      interactive: false,
      style: footprintStyle,
      pointToLayer: function (f, latlng) {
        return L.circleMarker(latlng, L.extend(footprintStyle(), { radius: 3 }));
      }
    });
    var group = L.layerGroup();
    function sync(map) {
      if (map.getZoom() >= FOOTPRINT_MIN_ZOOM) group.addLayer(shapes);
      else group.removeLayer(shapes);
    }
    group.on('add', function () {
      var map = group._map;
      sync(map);
      map.on('zoomend', group._luSync = function () { sync(map); });
    });
    group.on('remove', function () {
      if (group._map && group._luSync) group._map.off('zoomend', group._luSync);
    });
    return group;
  }

  /* A map control around a block of server-written HTML (legend, summary panel). */
  function htmlControl(id, position) {
    var Control = L.Control.extend({
      onAdd: function () {
        var node = document.getElementById(id);
        node.style.display = '';
        L.DomEvent.disableClickPropagation(node);
        L.DomEvent.disableScrollPropagation(node);
        return node;
      }
    });
    return new Control({ position: position });
  }

  /* Open the popup of a parcel fetched from the API's items endpoint. */
  function openFetchedPopup(map, latlng, url) {
    var popup = L.popup({ maxWidth: 380, className: 'lu-popup-wrap' })
      .setLatLng(latlng).setContent(el('div', 'lu-popup-loading', texts().loading)).openOn(map);
    return fetch(url, { headers: { Accept: 'application/geo+json' } })
      .then(function (r) {
        if (!r.ok) throw new Error('HTTP ' + r.status);
        return r.json();
      })
      .then(function (feature) {
        popup.setContent(popupContent(feature.properties || {}));
        return feature;
      })
      .catch(function (err) {
        popup.setContent(el('div', 'lu-popup-error', texts().load_failed + ': ' + err.message));
      });
  }

  /* The list of parcels (top left) ends above the boxes stacked in the bottom-left corner
     (legend, changes, runs), so that none of its rows is hidden behind them. */
  function fitListAboveCorner(map) {
    var list = document.getElementById('lu-list');
    var scroll = list && list.querySelector('.lu-list-scroll');
    var corner = map.getContainer().querySelector('.leaflet-bottom.leaflet-left');
    if (!scroll || !corner || !list.open) return;
    var below = list.getBoundingClientRect().bottom - scroll.getBoundingClientRect().bottom;
    var room = corner.getBoundingClientRect().top - scroll.getBoundingClientRect().top - below - 10;
    scroll.style.maxHeight = Math.max(100, Math.floor(room)) + 'px';
  }

  function setup(map, data) {
    cfg = data;
    (data.controls || []).forEach(function (c) {
      if (document.getElementById(c.id)) htmlControl(c.id, c.position).addTo(map);
    });
    var list = document.getElementById('lu-list');
    if (list) {
      fitListAboveCorner(map);
      list.addEventListener('toggle', function () { fitListAboveCorner(map); });
      map.on('resize', function () { fitListAboveCorner(map); });
    }
    // Without any parcel geometry there is nothing to measure: no scale bar.
    if (!data.noGeometry) L.control.scale({ imperial: false, maxWidth: 160 }).addTo(map);
    if (data.bounds) {
      // Keep the data clear of the summary panel on the right when the window is wide.
      var panel = document.getElementById('lu-panel');
      var right = panel && map.getSize().x > 2.2 * panel.offsetWidth ? panel.offsetWidth + 24 : 16;
      map.fitBounds(data.bounds, {
        paddingTopLeft: [16, 16], paddingBottomRight: [right, 16], animate: false
      });
    }
    (data.deferred || []).forEach(function (layer) { layer.addTo(map); });
    global.LU_MAP = map;
  }

  global.LanduseMap = {
    configure: function (data) { cfg = data; },
    el: el,
    isBlank: isBlank,
    statusKey: statusKey,
    parcelStyle: parcelStyle,
    popupContent: popupContent,
    tooltipContent: tooltipContent,
    parcelLayer: parcelLayer,
    changeOf: changeOf,
    changeStyle: changeStyle,
    changeLayer: changeLayer,
    parkLayer: parkLayer,
    footprintLayer: footprintLayer,
    footprintStyle: footprintStyle,
    FOOTPRINT_MIN_ZOOM: FOOTPRINT_MIN_ZOOM,
    htmlControl: htmlControl,
    openFetchedPopup: openFetchedPopup,
    setup: setup
  };
})(window);
