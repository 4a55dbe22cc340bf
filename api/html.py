"""HTML views (``f=html``): small Jinja2 templates with autoescaping on, no external assets.

Every value from the data (project names, holders, park names ...) goes through Jinja2's
autoescape, so ``<img src=x onerror=alert(1)>`` in a results file is shown as text, never run.
Pages load nothing from the internet (they work on an offline intranet).
"""

from __future__ import annotations

from typing import Any

from jinja2 import DictLoader, Environment, select_autoescape
from starlette.responses import HTMLResponse

_BASE = """<!doctype html>
<html lang="zh">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{{ title }}</title>
<style>
body { font-family: system-ui, "Microsoft YaHei", sans-serif; margin: 1.5rem; color: #222; }
table { border-collapse: collapse; font-size: 0.9rem; }
th, td { border: 1px solid #ccc; padding: 0.2rem 0.5rem; text-align: left; vertical-align: top; }
th { background: #f3f3f3; }
nav a { margin-right: 1rem; }
code { background: #f6f6f6; padding: 0 0.2rem; }
</style>
</head>
<body>
<nav>{% for link in nav %}<a href="{{ link.href }}">{{ link.title }}</a>{% endfor %}</nav>
<h1>{{ title }}</h1>
{% block content %}{% endblock %}
<p><small>{% if json_href %}<a href="{{ json_href }}">JSON</a>{% endif %}</small></p>
</body>
</html>
"""

_LANDING = """{% extends "base.html" %}{% block content %}
<p>{{ description }}</p>
<ul>{% for link in links %}<li><a href="{{ link.href }}">{{ link.title or link.rel }}</a>
 <small>({{ link.rel }}, {{ link.type }})</small></li>{% endfor %}</ul>
{% endblock %}"""

_COLLECTIONS = """{% extends "base.html" %}{% block content %}
<table><tr><th>id</th><th>title</th><th>description</th><th>features</th></tr>
{% for c in collections %}<tr><td><a href="{{ c.href }}">{{ c.id }}</a></td><td>{{ c.title }}</td>
<td>{{ c.description }}</td><td>{{ c.count }}</td></tr>{% endfor %}</table>
{% endblock %}"""

_COLLECTION = """{% extends "base.html" %}{% block content %}
<p>{{ collection.description }}</p>
<ul>{% for link in collection.links %}<li><a href="{{ link.href }}">{{ link.title or link.rel }}</a>
 <small>({{ link.rel }}, {{ link.type }})</small></li>{% endfor %}</ul>
{% endblock %}"""

_ITEMS = """{% extends "base.html" %}{% block content %}
<p>{{ number_returned }} of {{ number_matched }} features
{% for link in pages %} · <a href="{{ link.href }}">{{ link.title }}</a>{% endfor %}</p>
<table><tr><th>id</th>{% for name in columns %}<th>{{ name }}</th>{% endfor %}</tr>
{% for f in features %}<tr><td><a href="{{ f.href }}">{{ f.id }}</a></td>
{% for name in columns %}<td>{{ f.properties.get(name) | show }}</td>{% endfor %}</tr>
{% endfor %}</table>
{% endblock %}"""

_ITEM = """{% extends "base.html" %}{% block content %}
<table>{% for name, value in properties.items() %}<tr><th>{{ name }}</th>
<td>{{ value | show }}</td></tr>{% endfor %}</table>
{% endblock %}"""

_SUMMARY = """{% extends "base.html" %}{% block content %}
<p>{{ s.park }} ({{ s.group_kind }}) · as of {{ s.as_of_date | show }} · {{ s.parcels }}
parcels, {{ "%.2f" | format(s.area_ha) }} ha{% if s.parcels_without_geometry %} ·
{{ s.parcels_without_geometry }} without geometry{% endif %}</p>
<table><tr><th>status</th><th>状态</th><th>parcels</th><th>ha</th></tr>
{% for row in s.by_status %}<tr><td>{{ row.status }}</td><td>{{ row.status_zh }}</td>
<td>{{ row.parcels }}</td><td>{{ "%.2f" | format(row.area_ha) }}</td></tr>{% endfor %}</table>
<h2>金额 amounts (万元)</h2>
<table><tr><th></th><th>已确认 confirmed</th><th>待核查 (核实未开工时适用) would apply to
unverified parcels</th></tr>
<tr><th>合计 total</th><td>{{ s.confirmed_penalty_wan | show }}</td>
<td>{{ s.potential_penalty_wan | show }}</td></tr>
{% for name, value in s.amounts_wan.items() %}<tr><th>{{ name }}</th>
<td>{{ value | show }}</td><td>{{ s.potential_amounts_wan[name] | show }}</td></tr>
{% endfor %}</table>
<p><small>{{ s.amounts_note }}</small></p>
<p>mean intensity {{ s.mean_intensity_wan_per_ha | show }} 万元/公顷 · area-weighted
{{ s.area_weighted_intensity_wan_per_ha | show }} 万元/公顷</p>
<h2>推进情况 progress</h2>
<table><tr><th>progress</th><th>推进情况</th><th>parcels</th></tr>
{% for row in s.by_progress %}<tr><td>{{ row.progress }}</td><td>{{ row.progress_zh }}</td>
<td>{{ row.parcels }}</td></tr>{% endfor %}</table>
{% endblock %}"""

_RUNS = """{% extends "base.html" %}{% block content %}
<p>{{ description }}</p>
<table><tr><th>run</th><th>as of 评价日期</th><th>recorded 记录时间 (UTC)</th><th>parcels 宗数</th>
<th>rejects 拒收</th><th>inputs 输入文件 (SHA-256)</th><th></th></tr>
{% for r in runs %}<tr><td>{{ r.run }}{% if r.latest %} (latest 最新){% endif %}</td>
<td>{{ r.as_of_date | show }}</td><td>{{ r.recorded_at | show }}</td><td>{{ r.parcels }}</td>
<td>{{ r.rejects | show }}</td><td>{% for f in r.inputs %}{{ f.role }} {{ f.path }}
<code>{{ f.sha256[:12] }}</code><br>{% endfor %}</td>
<td>{% for link in r.links %}<a href="{{ link.href }}">{{ link.title }}</a> {% endfor %}</td></tr>
{% endfor %}</table>
{% endblock %}"""

_TABLE = """{% extends "base.html" %}{% block content %}
<p>{{ description }}</p>
<p>{% for link in pages %}<a href="{{ link.href }}">{{ link.title }}</a> {% endfor %}</p>
<table><tr>{% for name in columns %}<th>{{ name }}</th>{% endfor %}</tr>
{% for row in rows %}<tr>{% for name in columns %}<td>{{ row.get(name) | show }}</td>
{% endfor %}</tr>{% endfor %}</table>
{% endblock %}"""

_API = """{% extends "base.html" %}{% block content %}
<p>{{ description }} The machine-readable document is <a href="{{ spec_href }}">{{ spec_href }}</a>
(OpenAPI 3.0).</p>
{% for op in operations %}
<h3><code>{{ op.method }} {{ op.path }}</code></h3>
<p>{{ op.summary }}</p>{% if op.description %}<p>{{ op.description }}</p>{% endif %}
{% if op.parameters %}<table><tr><th>parameter</th><th>in</th><th>required</th><th>description</th>
</tr>{% for p in op.parameters %}<tr><td>{{ p.name }}</td><td>{{ p.where }}</td>
<td>{{ p.required }}</td><td>{{ p.description }}</td></tr>{% endfor %}</table>{% endif %}
{% endfor %}
{% endblock %}"""


def _show(value: Any) -> str:
    """A value as display text ('' for null and NaN)."""
    if value is None or (isinstance(value, float) and value != value):
        return ""
    if isinstance(value, bool):
        return "是 true" if value else "否 false"
    return str(value)


def make_environment() -> Environment:
    """The template environment (autoescape on for every template)."""
    env = Environment(
        loader=DictLoader(
            {
                "base.html": _BASE,
                "landing.html": _LANDING,
                "collections.html": _COLLECTIONS,
                "collection.html": _COLLECTION,
                "items.html": _ITEMS,
                "item.html": _ITEM,
                "summary.html": _SUMMARY,
                "api.html": _API,
                "runs.html": _RUNS,
                "table.html": _TABLE,
            }
        ),
        autoescape=select_autoescape(default=True, default_for_string=True),
    )
    env.filters["show"] = _show
    return env


_ENV = make_environment()


def render(template: str, status_code: int = 200, **context: Any) -> HTMLResponse:
    """An HTML response from ``template`` (escaped)."""
    context.setdefault("nav", [])
    context.setdefault("json_href", None)
    html = _ENV.get_template(template).render(**context)
    return HTMLResponse(html, status_code=status_code)
