/*
 * landuse tile layers: parcels drawn from the API's Mapbox Vector Tiles on canvas tiles.
 *
 * A small reader of the MVT format (protocol buffers, spec 2.1: layers, features with id, tags,
 * type and command-encoded geometry), one canvas GridLayer painting the shown statuses, and a
 * switchable layer per status for the layer control, so each tile is fetched, decoded and
 * painted once whichever statuses are shown. Clicks and
 * hovers are hit-tested against the decoded polygons of the tile under the pointer; a click
 * fetches the parcel from the items endpoint and shows the same popup as the inline map.
 */
(function (global) {
  'use strict';

  var L = global.L;
  var decoder = new TextDecoder('utf-8');

  /* ---------------------------------------------------------------- protobuf reading */

  function Reader(bytes) {
    this.buf = bytes;
    this.pos = 0;
    this.view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  }

  Reader.prototype.varint = function () {
    var buf = this.buf, result = 0, shift = 0, b;
    do {
      if (this.pos >= buf.length) throw new Error('truncated varint');
      b = buf[this.pos++];
      result += (b & 0x7f) * Math.pow(2, shift); // exact up to 2^53
      shift += 7;
    } while (b >= 0x80);
    return result;
  };

  Reader.prototype.sub = function () {
    var len = this.varint();
    var start = this.pos;
    this.pos += len;
    if (this.pos > this.buf.length) throw new Error('truncated field');
    return this.buf.subarray(start, start + len);
  };

  Reader.prototype.skip = function (wire) {
    if (wire === 0) this.varint();
    else if (wire === 1) this.pos += 8;
    else if (wire === 2) this.pos += this.varint();
    else if (wire === 5) this.pos += 4;
    else throw new Error('unsupported wire type ' + wire);
  };

  function zigzag(n) { return (n % 2 === 1) ? -(n + 1) / 2 : n / 2; }

  function readValue(bytes) {
    var r = new Reader(bytes), value = null;
    while (r.pos < bytes.length) {
      var tag = r.varint(), field = Math.floor(tag / 8), wire = tag & 7;
      if (field === 1) value = decoder.decode(r.sub());
      else if (field === 2) { value = r.view.getFloat32(r.pos, true); r.pos += 4; }
      else if (field === 3) { value = r.view.getFloat64(r.pos, true); r.pos += 8; }
      else if (field === 4 || field === 5) value = r.varint();
      else if (field === 6) value = zigzag(r.varint());
      else if (field === 7) value = r.varint() !== 0;
      else r.skip(wire);
    }
    return value;
  }

  function packed(bytes) {
    var r = new Reader(bytes), out = [];
    while (r.pos < bytes.length) out.push(r.varint());
    return out;
  }

  /* Command-encoded polygon geometry to rings of [x, y] in tile units. */
  function rings(commands) {
    var out = [], ring = null, x = 0, y = 0, i = 0;
    while (i < commands.length) {
      var cmd = commands[i] & 7, count = Math.floor(commands[i] / 8);
      i++;
      if (cmd === 1 || cmd === 2) {
        for (var k = 0; k < count; k++) {
          x += zigzag(commands[i++]);
          y += zigzag(commands[i++]);
          if (cmd === 1) { ring = [[x, y]]; out.push(ring); } else if (ring) ring.push([x, y]);
        }
      } else if (cmd === 7) {
        ring = null;
      } else {
        break;
      }
    }
    return out;
  }

  function bbox(rs) {
    var b = [Infinity, Infinity, -Infinity, -Infinity];
    rs.forEach(function (ring) {
      ring.forEach(function (p) {
        if (p[0] < b[0]) b[0] = p[0];
        if (p[1] < b[1]) b[1] = p[1];
        if (p[0] > b[2]) b[2] = p[0];
        if (p[1] > b[3]) b[3] = p[1];
      });
    });
    return b;
  }

  function readLayer(bytes) {
    var r = new Reader(bytes), keys = [], values = [], raw = [];
    var layer = { name: '', extent: 4096, features: [] };
    while (r.pos < bytes.length) {
      var tag = r.varint(), field = Math.floor(tag / 8), wire = tag & 7;
      if (field === 1) layer.name = decoder.decode(r.sub());
      else if (field === 2) raw.push(r.sub());
      else if (field === 3) keys.push(decoder.decode(r.sub()));
      else if (field === 4) values.push(readValue(r.sub()));
      else if (field === 5) layer.extent = r.varint();
      else r.skip(wire);
    }
    raw.forEach(function (fb) {
      var fr = new Reader(fb), feature = { id: null, type: 0, props: {}, rings: [] };
      var tags = [], geometry = [];
      while (fr.pos < fb.length) {
        var t = fr.varint(), f = Math.floor(t / 8), w = t & 7;
        if (f === 1) feature.id = fr.varint();
        else if (f === 2) tags = packed(fr.sub());
        else if (f === 3) feature.type = fr.varint();
        else if (f === 4) geometry = packed(fr.sub());
        else fr.skip(w);
      }
      for (var i = 0; i + 1 < tags.length; i += 2) feature.props[keys[tags[i]]] = values[tags[i + 1]];
      if (feature.type !== 3) return; // parcels are polygons
      feature.rings = rings(geometry);
      feature.bbox = bbox(feature.rings);
      layer.features.push(feature);
    });
    layer.byStatus = {};
    layer.features.forEach(function (f) {
      var key = global.LanduseMap.statusKey(f.props.status);
      (layer.byStatus[key] || (layer.byStatus[key] = [])).push(f);
    });
    return layer;
  }

  /* A decoded tile: { layerName: layer }. */
  function decodeTile(buffer) {
    var bytes = new Uint8Array(buffer), r = new Reader(bytes), layers = {};
    while (r.pos < bytes.length) {
      var tag = r.varint(), field = Math.floor(tag / 8), wire = tag & 7;
      if (field === 3) {
        var layer = readLayer(r.sub());
        layers[layer.name] = layer;
      } else {
        r.skip(wire);
      }
    }
    return layers;
  }

  /* ---------------------------------------------------------------- tile source */

  function tileUrl(template, c) {
    return template.replace('{z}', c.z).replace('{x}', c.x).replace('{y}', c.y);
  }

  /* Fetches and decodes tiles once, for every status layer. */
  function Source(options) {
    this.url = options.url;
    this.layerName = options.layer;
    this.maxZoom = options.maxNativeZoom;
    this.minZoom = options.minZoom;
    this.cache = new Map();
    this.limit = options.cacheSize || 1024;
    this.firstDraw = null;
  }

  Source.prototype.get = function (coords) {
    var key = coords.z + '/' + coords.x + '/' + coords.y;
    var hit = this.cache.get(key);
    if (hit) return hit.promise;
    var self = this;
    var entry = { layer: null, promise: null };
    entry.promise = fetch(tileUrl(this.url, coords))
      .then(function (r) {
        if (r.status === 204 || r.status === 404) return null;
        if (!r.ok) throw new Error('tile ' + key + ': HTTP ' + r.status);
        return r.arrayBuffer();
      })
      .then(function (buf) {
        var layers = buf && buf.byteLength ? decodeTile(buf) : {};
        entry.layer = layers[self.layerName] || { extent: 4096, features: [], byStatus: {} };
        return entry.layer;
      });
    entry.promise.catch(function () { self.cache.delete(key); });
    this.cache.set(key, entry);
    if (this.cache.size > this.limit) this.cache.delete(this.cache.keys().next().value);
    return entry.promise;
  };

  Source.prototype.decoded = function (coords) {
    var hit = this.cache.get(coords.z + '/' + coords.x + '/' + coords.y);
    return hit ? hit.layer : null;
  };

  /* Timestamps for tests and benchmarks: first tile with parcels drawn, last tile drawn. */
  Source.prototype.noteDraw = function (n) {
    var now = global.performance.now();
    global.LU_LAST_TILE_MS = now;
    if (n > 0 && this.firstDraw === null) {
      this.firstDraw = now;
      global.LU_FIRST_PARCELS_MS = now;
    }
  };

  /* ---------------------------------------------------------------- drawing */

  /* An empty canvas for one tile at the screen's pixel ratio. */
  function tileCanvas(size) {
    var tile = L.DomUtil.create('canvas', 'lu-tile');
    var ratio = global.devicePixelRatio || 1;
    tile.width = size.x * ratio;
    tile.height = size.y * ratio;
    return tile;
  }

  /* The rings of one feature as the canvas's current path (tile units x scale = pixels). */
  function tracePath(ctx, rings, scale) {
    ctx.beginPath();
    rings.forEach(function (ring) {
      for (var i = 0; i < ring.length; i++) {
        if (i === 0) ctx.moveTo(ring[i][0] * scale, ring[i][1] * scale);
        else ctx.lineTo(ring[i][0] * scale, ring[i][1] * scale);
      }
      ctx.closePath();
    });
  }

  /* One canvas per tile for every shown status: the statuses' layers (below) only say which
     statuses this layer draws, so a tile is fetched, decoded and painted once. */
  var CanvasLayer = L.GridLayer.extend({
    initialize: function (source, options) {
      this._source = source;
      this._shown = {};
      L.GridLayer.prototype.initialize.call(this, L.extend({
        minZoom: source.minZoom, maxNativeZoom: source.maxZoom, maxZoom: 22,
        className: 'lu-tiles'
      }, options));
    },

    show: function (status, on) {
      if (on) this._shown[status] = true; else delete this._shown[status];
      this._repaint();
    },

    anyShown: function () { return Object.keys(this._shown).length > 0; },

    createTile: function (coords, done) {
      var tile = tileCanvas(this.getTileSize());
      var self = this;
      this._source.get(coords).then(function (layer) {
        tile._luLayer = layer;
        var n = self._paint(tile, layer);
        self._source.noteDraw(n);
        done(null, tile);
      }, function (err) { done(err, tile); });
      return tile;
    },

    _repaint: function () {
      for (var key in this._tiles) {
        var tile = this._tiles[key].el;
        if (tile._luLayer) this._paint(tile, tile._luLayer);
      }
    },

    _paint: function (canvas, layer) {
      var ctx = canvas.getContext('2d');
      ctx.clearRect(0, 0, canvas.width, canvas.height);
      var scale = canvas.width / layer.extent;
      ctx.lineWidth = Math.max(0.5, 0.8 * (global.devicePixelRatio || 1));
      var n = 0, shown = this._shown, byStatus = layer.byStatus || {};
      var outline = 6 * (global.devicePixelRatio || 1); // narrower parcels: fill only
      var dot = 2 * (global.devicePixelRatio || 1);
      Object.keys(byStatus).forEach(function (status) {
        if (!shown[status]) return;
        var style = global.LanduseMap.parcelStyle(status);
        ctx.fillStyle = style.fillColor;
        ctx.strokeStyle = style.color;
        byStatus[status].forEach(function (f) {
          var b = f.bbox;
          if ((b[2] - b[0]) * scale < dot && (b[3] - b[1]) * scale < dot) {
            // smaller than a dot at this zoom: a dot, so an overview still shows the colours
            ctx.globalAlpha = 1;
            ctx.fillRect((b[0] + b[2]) / 2 * scale - dot / 2, (b[1] + b[3]) / 2 * scale - dot / 2,
              dot, dot);
            n++;
            return;
          }
          tracePath(ctx, f.rings, scale);
          ctx.globalAlpha = style.fillOpacity;
          ctx.fill('evenodd');
          if ((f.bbox[2] - f.bbox[0]) * scale >= outline) {
            ctx.globalAlpha = style.opacity;
            ctx.stroke();
          }
          n++;
        });
      });
      canvas.setAttribute('data-parcels', String(n));
      return n;
    }
  });

  /* The layer of one status (what the layer control switches): it shows or hides its status
     on the shared canvas layer, which is on the map while any status is shown. */
  var StatusLayer = L.Layer.extend({
    initialize: function (source, status) {
      this._source = source;
      this._status = status;
    },

    onAdd: function (map) {
      var canvas = this._source.canvas || (this._source.canvas = new CanvasLayer(this._source));
      canvas.show(this._status, true);
      if (!map.hasLayer(canvas)) canvas.addTo(map);
    },

    onRemove: function (map) {
      var canvas = this._source.canvas;
      canvas.show(this._status, false);
      if (!canvas.anyShown()) map.removeLayer(canvas);
    }
  });

  /* Building footprints from the buildings collection's tiles, drawn from
     LanduseMap.FOOTPRINT_MIN_ZOOM on (grey, under the popups; not clickable). */
  var FootprintLayer = L.GridLayer.extend({
    initialize: function (source) {
      this._source = source;
      L.GridLayer.prototype.initialize.call(this, {
        minZoom: global.LanduseMap.FOOTPRINT_MIN_ZOOM, maxNativeZoom: source.maxZoom,
        maxZoom: 22, className: 'lu-footprint-tiles'
      });
    },

    createTile: function (coords, done) {
      var tile = tileCanvas(this.getTileSize());
      this._source.get(coords).then(function (layer) {
        var ctx = tile.getContext('2d');
        var scale = tile.width / layer.extent;
        var style = global.LanduseMap.footprintStyle();
        ctx.fillStyle = style.fillColor;
        ctx.strokeStyle = style.color;
        ctx.lineWidth = global.devicePixelRatio || 1;
        layer.features.forEach(function (f) {
          tracePath(ctx, f.rings, scale);
          ctx.globalAlpha = style.fillOpacity;
          ctx.fill('evenodd');
          ctx.globalAlpha = style.opacity;
          ctx.stroke();
        });
        tile.setAttribute('data-footprints', String(layer.features.length));
        done(null, tile);
      }, function (err) { done(err, tile); });
      return tile;
    }
  });

  /* The changed parcels (LU_DATA.changes) outlined by kind of change on canvas tiles of the
     parcels' own tiles (the same source: each tile is fetched and decoded once). */
  var ChangeLayer = L.GridLayer.extend({
    initialize: function (source) {
      this._source = source;
      L.GridLayer.prototype.initialize.call(this, {
        minZoom: source.minZoom, maxNativeZoom: source.maxZoom, maxZoom: 22,
        className: 'lu-change-tiles', pane: 'overlayPane'
      });
    },

    createTile: function (coords, done) {
      var tile = tileCanvas(this.getTileSize());
      tile.className = 'lu-change-tile'; // not a parcel tile: counted apart
      this._source.get(coords).then(function (layer) {
        var ctx = tile.getContext('2d');
        var scale = tile.width / layer.extent;
        var drawn = 0;
        ctx.lineWidth = 3.5 * (global.devicePixelRatio || 1);
        layer.features.forEach(function (f) {
          var change = global.LanduseMap.changeOf(f.props);
          if (!change) return;
          ctx.strokeStyle = global.LanduseMap.changeStyle(change.kind).color;
          tracePath(ctx, f.rings, scale);
          ctx.stroke();
          drawn += 1;
        });
        tile.setAttribute('data-changes', String(drawn));
        done(null, tile);
      }, function (err) { done(err, tile); });
      return tile;
    }
  });

  /* ---------------------------------------------------------------- hit testing */

  function inRing(x, y, ring) {
    var inside = false;
    for (var i = 0, j = ring.length - 1; i < ring.length; j = i++) {
      var xi = ring[i][0], yi = ring[i][1], xj = ring[j][0], yj = ring[j][1];
      if (((yi > y) !== (yj > y)) && (x < (xj - xi) * (y - yi) / (yj - yi) + xi)) inside = !inside;
    }
    return inside;
  }

  function inFeature(x, y, f) {
    var b = f.bbox;
    if (x < b[0] || x > b[2] || y < b[1] || y > b[3]) return false;
    var inside = false;
    f.rings.forEach(function (ring) { if (inRing(x, y, ring)) inside = !inside; });
    return inside;
  }

  /* The topmost visible parcel under latlng, from the decoded tiles ({feature} or null). */
  function featureAt(map, data, latlng) {
    var source = data.tileSource;
    var z = Math.round(map.getZoom());
    z = Math.max(source.minZoom, Math.min(source.maxZoom, z));
    var size = 256;
    var p = map.project(latlng, z);
    var coords = { z: z, x: Math.floor(p.x / size), y: Math.floor(p.y / size) };
    var layer = source.decoded(coords);
    if (!layer) return null;
    var k = layer.extent / size;
    var x = (p.x - coords.x * size) * k, y = (p.y - coords.y * size) * k;
    var visible = {};
    Object.keys(data.tileLayers).forEach(function (s) {
      if (map.hasLayer(data.tileLayers[s])) visible[s] = true;
    });
    for (var i = layer.features.length - 1; i >= 0; i--) {
      var f = layer.features[i];
      if (visible[global.LanduseMap.statusKey(f.props.status)] && inFeature(x, y, f)) return f;
    }
    return null;
  }

  function interact(map, data) {
    var tooltip = L.tooltip({ sticky: true, className: 'lu-tile-tooltip' });
    var pending = null;
    map.on('click', function (e) {
      var f = featureAt(map, data, e.latlng);
      if (!f || f.id === null) return;
      global.LanduseMap.openFetchedPopup(map, e.latlng, data.tiles.itemsUrl + encodeURIComponent(f.id) + (data.tiles.itemsQuery || ''));
    });
    map.on('mousemove', function (e) {
      if (pending) return;
      pending = global.requestAnimationFrame(function () {
        pending = null;
        var f = featureAt(map, data, e.latlng);
        var container = map.getContainer();
        if (!f) {
          container.style.cursor = '';
          if (map.hasLayer(tooltip)) map.closeTooltip(tooltip);
          return;
        }
        container.style.cursor = 'pointer';
        tooltip.setContent(global.LanduseMap.tooltipContent(f.props));
        map.openTooltip(tooltip, e.latlng);
      });
    });
    map.on('mouseout', function () { if (map.hasLayer(tooltip)) map.closeTooltip(tooltip); });
  }

  global.LanduseTiles = {
    decodeTile: decodeTile,
    source: function (options) { return new Source(options); },
    statusLayer: function (source, status) { return new StatusLayer(source, status); },
    footprintLayer: function (options) { return new FootprintLayer(new Source(options)); },
    changeLayer: function (source, changes) { return new ChangeLayer(source, changes); },
    featureAt: featureAt,
    interact: interact
  };
})(window);
