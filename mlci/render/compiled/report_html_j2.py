from jinja2.runtime import LoopContext, Macro, Markup, Namespace, TemplateNotFound, TemplateReference, TemplateRuntimeError, Undefined, escape, identity, internalcode, markup_join, missing, str_join
name = 'report.html.j2'

def root(context, missing=missing, environment=environment):
    resolve = context.resolve_or_missing
    undefined = environment.undefined
    concat = environment.concat
    cond_expr_undefined = Undefined
    if 0: yield None
    l_0_csp = resolve('csp')
    l_0_results = resolve('results')
    l_0_css = resolve('css')
    l_0_icon = resolve('icon')
    l_0_summary = resolve('summary')
    l_0_problems = resolve('problems')
    l_0_notes = resolve('notes')
    l_0_specs = resolve('specs')
    l_0_metric_rows = resolve('metric_rows')
    l_0_plots = resolve('plots')
    l_0_sections = resolve('sections')
    l_0_images = resolve('images')
    l_0_vega = resolve('vega')
    l_0_specs_json = resolve('specs_json')
    l_0_embed = resolve('embed')
    try:
        t_1 = environment.filters['dataset_summary']
    except KeyError:
        @internalcode
        def t_1(*unused):
            raise TemplateRuntimeError("No filter named 'dataset_summary' found.")
    try:
        t_2 = environment.filters['format']
    except KeyError:
        @internalcode
        def t_2(*unused):
            raise TemplateRuntimeError("No filter named 'format' found.")
    try:
        t_3 = environment.filters['icon']
    except KeyError:
        @internalcode
        def t_3(*unused):
            raise TemplateRuntimeError("No filter named 'icon' found.")
    try:
        t_4 = environment.filters['list']
    except KeyError:
        @internalcode
        def t_4(*unused):
            raise TemplateRuntimeError("No filter named 'list' found.")
    try:
        t_5 = environment.filters['number']
    except KeyError:
        @internalcode
        def t_5(*unused):
            raise TemplateRuntimeError("No filter named 'number' found.")
    try:
        t_6 = environment.filters['selectattr']
    except KeyError:
        @internalcode
        def t_6(*unused):
            raise TemplateRuntimeError("No filter named 'selectattr' found.")
    try:
        t_7 = environment.filters['sentence']
    except KeyError:
        @internalcode
        def t_7(*unused):
            raise TemplateRuntimeError("No filter named 'sentence' found.")
    try:
        t_8 = environment.filters['upper']
    except KeyError:
        @internalcode
        def t_8(*unused):
            raise TemplateRuntimeError("No filter named 'upper' found.")
    pass
    yield '<!DOCTYPE html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n<meta http-equiv="Content-Security-Policy" content="'
    yield escape((undefined(name='csp') if l_0_csp is missing else l_0_csp))
    yield '">\n<meta name="viewport" content="width=device-width, initial-scale=1">\n<title>'
    yield escape(environment.getattr((undefined(name='results') if l_0_results is missing else l_0_results), 'title'))
    yield ': '
    yield escape(t_8(environment.getattr((undefined(name='results') if l_0_results is missing else l_0_results), 'verdict')))
    yield '</title>\n<style>'
    yield escape((undefined(name='css') if l_0_css is missing else l_0_css))
    yield '</style>\n</head>\n<body>\n<header class="verdict '
    yield escape(environment.getattr((undefined(name='results') if l_0_results is missing else l_0_results), 'verdict'))
    yield '">\n<h1>'
    yield escape((undefined(name='icon') if l_0_icon is missing else l_0_icon))
    yield ' '
    yield escape(environment.getattr((undefined(name='results') if l_0_results is missing else l_0_results), 'title'))
    yield ': '
    yield escape(t_8(environment.getattr((undefined(name='results') if l_0_results is missing else l_0_results), 'verdict')))
    yield '</h1>\n<p>'
    yield escape((undefined(name='summary') if l_0_summary is missing else l_0_summary))
    yield '</p>\n<p class="note">Comparing <b>'
    yield escape(environment.getattr(environment.getattr((undefined(name='results') if l_0_results is missing else l_0_results), 'head'), 'name'))
    yield '</b> (<code>'
    yield escape(environment.getattr(environment.getattr((undefined(name='results') if l_0_results is missing else l_0_results), 'head'), 'short'))
    yield '</code>) with base <b>'
    yield escape(environment.getattr(environment.getattr((undefined(name='results') if l_0_results is missing else l_0_results), 'base'), 'name'))
    yield '</b> (<code>'
    yield escape(environment.getattr(environment.getattr((undefined(name='results') if l_0_results is missing else l_0_results), 'base'), 'short'))
    yield '</code>).</p>\n</header>\n'
    if (undefined(name='problems') if l_0_problems is missing else l_0_problems):
        pass
        yield '<h2>Gates that did not pass</h2>\n<table>\n<thead><tr><th></th><th>Metric</th><th>Rule</th><th>Why</th></tr></thead>\n<tbody>\n'
        for l_1_gate in (undefined(name='problems') if l_0_problems is missing else l_0_problems):
            _loop_vars = {}
            pass
            yield '<tr class="'
            yield escape(environment.getattr(l_1_gate, 'outcome'))
            yield '"><td>'
            yield escape(t_3(environment.getattr(l_1_gate, 'outcome')))
            yield '</td><td>'
            yield escape(environment.getattr(l_1_gate, 'key'))
            if environment.getattr(l_1_gate, 'file'):
                pass
                yield ' <span class="id">'
                yield escape(environment.getattr(l_1_gate, 'file'))
                yield '</span>'
            yield '</td><td>'
            yield escape(environment.getattr(l_1_gate, 'rule'))
            if (environment.getattr(l_1_gate, 'source') == 'head'):
                pass
                yield ' <span class="note">(PR\'s mlci.yaml)</span>'
            yield '</td><td>'
            yield escape(environment.getattr(l_1_gate, 'reason'))
            yield '</td></tr>\n'
        l_1_gate = missing
        yield '</tbody>\n</table>\n'
    if environment.getattr((undefined(name='results') if l_0_results is missing else l_0_results), 'tests'):
        pass
        yield '<h2>Tests '
        yield escape(t_3(environment.getattr(environment.getattr((undefined(name='results') if l_0_results is missing else l_0_results), 'tests'), 'outcome')))
        yield '</h2>\n<p><code>'
        yield escape(environment.getattr(environment.getattr((undefined(name='results') if l_0_results is missing else l_0_results), 'tests'), 'command'))
        yield '</code>: '
        yield escape(environment.getattr(environment.getattr((undefined(name='results') if l_0_results is missing else l_0_results), 'tests'), 'reason'))
        if environment.getattr(environment.getattr((undefined(name='results') if l_0_results is missing else l_0_results), 'tests'), 'total'):
            pass
            yield ' ('
            yield escape(environment.getattr(environment.getattr((undefined(name='results') if l_0_results is missing else l_0_results), 'tests'), 'passed'))
            yield ' passed, '
            yield escape(environment.getattr(environment.getattr((undefined(name='results') if l_0_results is missing else l_0_results), 'tests'), 'failed'))
            yield ' failed, '
            yield escape(environment.getattr(environment.getattr((undefined(name='results') if l_0_results is missing else l_0_results), 'tests'), 'errors'))
            yield ' errors, '
            yield escape(environment.getattr(environment.getattr((undefined(name='results') if l_0_results is missing else l_0_results), 'tests'), 'skipped'))
            yield ' skipped in '
            yield escape(t_2('%.1f', environment.getattr(environment.getattr((undefined(name='results') if l_0_results is missing else l_0_results), 'tests'), 'seconds')))
            yield ' s)'
        yield '.</p>\n'
        if environment.getattr(environment.getattr((undefined(name='results') if l_0_results is missing else l_0_results), 'tests'), 'failures'):
            pass
            yield '<table>\n<thead><tr><th>Test</th><th>Why</th></tr></thead>\n<tbody>\n'
            for l_1_failure in environment.getattr(environment.getattr((undefined(name='results') if l_0_results is missing else l_0_results), 'tests'), 'failures'):
                _loop_vars = {}
                pass
                yield '<tr><td class="id">'
                yield escape(environment.getattr(l_1_failure, 'id'))
                yield '</td><td>'
                yield escape(environment.getattr(l_1_failure, 'message'))
                yield '</td></tr>\n'
            l_1_failure = missing
            yield '</tbody>\n</table>\n'
    if environment.getattr((undefined(name='results') if l_0_results is missing else l_0_results), 'data'):
        pass
        yield '<h2>Data</h2>\n'
        for l_1_ds in environment.getattr((undefined(name='results') if l_0_results is missing else l_0_results), 'data'):
            l_1_failed = missing
            _loop_vars = {}
            pass
            l_1_failed = t_4(context.eval_ctx, t_6(context, environment.getattr(l_1_ds, 'checks'), 'outcome', 'equalto', 'fail'))
            _loop_vars['failed'] = l_1_failed
            yield '<h3>'
            yield escape(t_3(environment.getattr(l_1_ds, 'outcome')))
            yield ' '
            yield escape(environment.getattr(l_1_ds, 'path'))
            yield '</h3>\n<p>'
            yield escape(t_7(t_1(l_1_ds)))
            yield '.</p>\n'
            if (undefined(name='failed') if l_1_failed is missing else l_1_failed):
                pass
                yield '<table>\n<thead><tr><th>Column</th><th>Check</th><th>Why</th></tr></thead>\n<tbody>\n'
                for l_2_c in (undefined(name='failed') if l_1_failed is missing else l_1_failed):
                    _loop_vars = {}
                    pass
                    yield '<tr><td>'
                    yield escape((environment.getattr(l_2_c, 'column') or ''))
                    yield '</td><td>'
                    yield escape(environment.getattr(l_2_c, 'check'))
                    yield '</td><td>'
                    yield escape(environment.getattr(l_2_c, 'reason'))
                    yield '</td></tr>\n'
                l_2_c = missing
                yield '</tbody>\n</table>\n'
            if environment.getattr(l_1_ds, 'drift'):
                pass
                yield '<p>Drift against base '
                yield escape(t_3(environment.getattr(environment.getattr(l_1_ds, 'drift'), 'outcome')))
                yield ': '
                yield escape(environment.getattr(environment.getattr(l_1_ds, 'drift'), 'reason'))
                yield '</p>\n'
                if environment.getattr(environment.getattr(l_1_ds, 'drift'), 'columns'):
                    pass
                    yield '<table>\n<thead><tr><th>Column</th><th>Statistic</th><th>Value</th><th>Threshold</th><th>Verdict</th></tr></thead>\n<tbody>\n'
                    for l_2_c in environment.getattr(environment.getattr(l_1_ds, 'drift'), 'columns'):
                        _loop_vars = {}
                        pass
                        yield '<tr class="'
                        yield escape(environment.getattr(l_2_c, 'outcome'))
                        yield '"><td>'
                        yield escape(environment.getattr(l_2_c, 'column'))
                        yield '</td><td>'
                        yield escape(environment.getattr(l_2_c, 'method'))
                        yield '</td><td class="num">'
                        yield escape(t_5(environment.getattr(l_2_c, 'value')))
                        yield '</td><td class="num">'
                        yield escape(t_5(environment.getattr(l_2_c, 'threshold')))
                        yield '</td><td>'
                        yield escape(t_3(environment.getattr(l_2_c, 'outcome')))
                        yield ' '
                        yield escape(environment.getattr(l_2_c, 'reason'))
                        yield '</td></tr>\n'
                    l_2_c = missing
                    yield '</tbody>\n</table>\n'
                if environment.getattr(environment.getattr(l_1_ds, 'drift'), 'errors'):
                    pass
                    yield '<ul>'
                    for l_2_error in environment.getattr(environment.getattr(l_1_ds, 'drift'), 'errors'):
                        _loop_vars = {}
                        pass
                        yield '<li>'
                        yield escape(l_2_error)
                        yield '</li>'
                    l_2_error = missing
                    yield '</ul>\n'
            elif environment.getattr(l_1_ds, 'drift_skipped'):
                pass
                yield '<p class="note">Drift against base: '
                yield escape(environment.getattr(l_1_ds, 'drift_skipped'))
                yield '.</p>\n'
        l_1_ds = l_1_failed = missing
    if (undefined(name='notes') if l_0_notes is missing else l_0_notes):
        pass
        yield '<h2>Notes</h2>\n<ul>\n'
        for l_1_note in (undefined(name='notes') if l_0_notes is missing else l_0_notes):
            _loop_vars = {}
            pass
            yield '<li>'
            yield escape(l_1_note)
            yield '</li>\n'
        l_1_note = missing
        yield '</ul>\n'
    if environment.getattr((undefined(name='results') if l_0_results is missing else l_0_results), 'metrics'):
        pass
        yield '<h2>Metrics</h2>\n<section class="plot">\n'
        if ('mlci-metrics' in (undefined(name='specs') if l_0_specs is missing else l_0_specs)):
            pass
            yield '<div class="chart" id="mlci-metrics"></div>'
        if ('mlci-intervals' in (undefined(name='specs') if l_0_specs is missing else l_0_specs)):
            pass
            yield '<div class="chart" id="mlci-intervals"></div>'
        yield '<table>\n<thead><tr><th>File</th><th>Metric</th><th>Base</th><th>Head</th><th>Change</th></tr></thead>\n<tbody>\n'
        yield escape((undefined(name='metric_rows') if l_0_metric_rows is missing else l_0_metric_rows))
        yield '\n</tbody>\n</table>\n</section>\n'
    if ((environment.getattr((undefined(name='plots') if l_0_plots is missing else l_0_plots), 'curves') or environment.getattr((undefined(name='plots') if l_0_plots is missing else l_0_plots), 'confusions')) or environment.getattr((undefined(name='plots') if l_0_plots is missing else l_0_plots), 'images')):
        pass
        yield '<h2>Plots</h2>\n'
    elif (not environment.getattr((undefined(name='plots') if l_0_plots is missing else l_0_plots), 'errors')):
        pass
        yield '<p class="note">No DVC plots at base or head.</p>\n'
    for l_1_section in (undefined(name='sections') if l_0_sections is missing else l_0_sections):
        _loop_vars = {}
        pass
        yield '<section class="plot">\n'
        if environment.getattr(l_1_section, 'chart_id'):
            pass
            yield '<div class="chart" id="'
            yield escape(environment.getattr(l_1_section, 'chart_id'))
            yield '"></div>'
        if environment.getattr(l_1_section, 'table'):
            pass
            yield '<table>\n<thead><tr><th>'
            yield escape(environment.getattr(environment.getattr(l_1_section, 'table'), 'corner'))
            yield '</th>'
            for l_2_label in environment.getattr(environment.getattr(l_1_section, 'table'), 'labels'):
                _loop_vars = {}
                pass
                yield '<th>'
                yield escape(l_2_label)
                yield '</th>'
            l_2_label = missing
            yield '</tr></thead>\n<tbody>\n'
            for (l_2_label, l_2_row) in environment.getattr(environment.getattr(l_1_section, 'table'), 'rows'):
                _loop_vars = {}
                pass
                yield '<tr><th>'
                yield escape(l_2_label)
                yield '</th>'
                for (l_3_text, l_3_diagonal) in l_2_row:
                    _loop_vars = {}
                    pass
                    yield '<td class="'
                    yield escape(('num diag' if l_3_diagonal else 'num'))
                    yield '">'
                    yield escape(l_3_text)
                    yield '</td>'
                l_3_text = l_3_diagonal = missing
                yield '</tr>\n'
            l_2_label = l_2_row = missing
            yield '</tbody>\n</table>\n<p class="note">'
            yield escape(environment.getattr(environment.getattr(l_1_section, 'table'), 'caption'))
            yield '</p>\n'
        if environment.getattr(l_1_section, 'note'):
            pass
            yield '<p class="note">'
            yield escape(environment.getattr(l_1_section, 'note'))
            yield '</p>'
        yield '</section>\n'
    l_1_section = missing
    if environment.getattr((undefined(name='plots') if l_0_plots is missing else l_0_plots), 'images'):
        pass
        yield '<h3>Image plots</h3>\n'
        for l_1_image in (undefined(name='images') if l_0_images is missing else l_0_images):
            _loop_vars = {}
            pass
            yield '<section class="plot"><p class="id">'
            yield escape(environment.getattr(l_1_image, 'path'))
            yield '</p>\n<div class="pair">\n'
            for l_2_figure in environment.getattr(l_1_image, 'figures'):
                _loop_vars = {}
                pass
                yield '<figure><figcaption>'
                yield escape(environment.getattr(l_2_figure, 'label'))
                yield '</figcaption>'
                if environment.getattr(l_2_figure, 'uri'):
                    pass
                    yield '<img src="'
                    yield escape(environment.getattr(l_2_figure, 'uri'))
                    yield '" alt="'
                    yield escape(environment.getattr(l_1_image, 'path'))
                    yield ' at '
                    yield escape(environment.getattr(l_2_figure, 'label'))
                    yield '">'
                elif environment.getattr(l_2_figure, 'present'):
                    pass
                    yield '<p class="note">not inlined</p>'
                else:
                    pass
                    yield '<p class="note">not at '
                    yield escape(environment.getattr(l_2_figure, 'label'))
                    yield '</p>'
                yield '</figure>\n'
            l_2_figure = missing
            yield '</div>\n'
            if environment.getattr(l_1_image, 'note'):
                pass
                yield '<p class="note">'
                yield escape(environment.getattr(l_1_image, 'note'))
                yield '</p>'
            yield '</section>\n'
        l_1_image = missing
    if environment.getattr((undefined(name='plots') if l_0_plots is missing else l_0_plots), 'undrawn'):
        pass
        yield '<ul class="note">'
        for l_1_line in environment.getattr((undefined(name='plots') if l_0_plots is missing else l_0_plots), 'undrawn'):
            _loop_vars = {}
            pass
            yield '<li>'
            yield escape(l_1_line)
            yield ' (see it with <code>dvc plots show</code>)</li>'
        l_1_line = missing
        yield '</ul>\n'
    if environment.getattr((undefined(name='plots') if l_0_plots is missing else l_0_plots), 'errors'):
        pass
        yield '<h2>Plots that could not be read</h2>\n<ul>'
        for l_1_error in environment.getattr((undefined(name='plots') if l_0_plots is missing else l_0_plots), 'errors'):
            _loop_vars = {}
            pass
            yield '<li>'
            yield escape(l_1_error)
            yield '</li>'
        l_1_error = missing
        yield '</ul>\n'
    yield '<p class="note">Generated by mlci '
    yield escape(environment.getattr((undefined(name='results') if l_0_results is missing else l_0_results), 'mlci_version'))
    yield '</p>\n<noscript><p>Turn on JavaScript to see the charts.</p></noscript>\n'
    if (undefined(name='specs') if l_0_specs is missing else l_0_specs):
        pass
        yield '<script>'
        yield escape((undefined(name='vega') if l_0_vega is missing else l_0_vega))
        yield '</script>\n<script>const MLCI_SPECS = '
        yield escape((undefined(name='specs_json') if l_0_specs_json is missing else l_0_specs_json))
        yield ';\n'
        yield escape((undefined(name='embed') if l_0_embed is missing else l_0_embed))
        yield '</script>\n'
    yield '</body>\n</html>'

blocks = {}
debug_info = '6=75&8=77&9=81&12=83&13=85&14=91&15=93&17=101&22=104&23=108&28=128&29=131&30=133&31=150&35=153&36=157&42=163&44=166&45=170&46=173&47=177&48=179&52=182&53=186&58=194&59=197&60=201&64=204&65=208&70=224&71=227&73=235&74=238&78=241&81=244&82=248&86=252&89=255&90=258&94=262&99=264&101=267&104=270&106=274&107=279&109=282&111=292&112=296&116=310&118=312&121=319&123=322&124=326&126=328&127=332&130=354&134=361&135=364&137=372&139=375&141=384&143=386&144=389&145=391&146=393'

MLCI_TEMPLATE_KEY = 'b8eed0b569aa7f7c4cfedc6efc6455be275c5b3059e795a137d24e1699347fb1'
