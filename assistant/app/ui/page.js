// The page script: one delegated listener, so it works for HTML that streams in later.
(() => {
  function viewer() {
    let v = document.getElementById('article-viewer');
    if (v) return v;
    v = document.createElement('div');
    v.id = 'article-viewer';
    v.setAttribute('role', 'dialog');
    v.setAttribute('aria-modal', 'true');
    v.hidden = true;
    v.innerHTML = '<div class="viewer-bar"><span>Article</span>' +
      '<button type="button" id="article-close" aria-label="Close the article">Close ✕</button>' +
      '</div><div class="viewer-body"></div>';
    document.body.appendChild(v);
    v.querySelector('#article-close').addEventListener('click', () => { v.hidden = true; });
    return v;
  }
  function open(turn, doc, n) {
    const art = document.querySelector(
      `.article-full[data-turn="${turn}"][data-doc="${CSS.escape(doc)}"]`);
    if (!art) return;
    const v = viewer();
    const body = v.querySelector('.viewer-body');
    body.innerHTML = art.innerHTML;
    body.dataset.doc = doc;
    v.hidden = false;
    let target = null;
    if (n) {
      body.querySelectorAll('mark.q').forEach(m => {
        const on = m.dataset.ns.split(' ').includes(String(n));
        m.classList.toggle('active', on);
        if (on && !target) target = m;
      });
    }
    if (target) target.scrollIntoView({block: 'center'});
    else body.scrollTop = 0;
  }
  document.addEventListener('click', (e) => {
    const cite = e.target.closest('a.cite');
    if (cite) {
      e.preventDefault(); e.stopPropagation();
      const m = (cite.getAttribute('href') || '').match(/^#src-(\d+)-(\d+)$/);
      const src = m && document.querySelector(`.src[data-turn="${m[1]}"][data-n="${m[2]}"]`);
      if (src) open(src.dataset.turn, src.dataset.doc, src.dataset.n);
      return;
    }
    const also = e.target.closest('a.also-link');
    if (also) { e.preventDefault(); open(also.dataset.turn, also.dataset.doc, null); return; }
    const src = e.target.closest('.src');
    if (src && !e.target.closest('a')) open(src.dataset.turn, src.dataset.doc, src.dataset.n);
  }, true);
  document.addEventListener('keydown', (e) => {
    const v = document.getElementById('article-viewer');
    if (e.key === 'Escape' && v) v.hidden = true;
    const src = e.target.closest && e.target.closest('.src');
    if (src && (e.key === 'Enter' || e.key === ' ')) {
      e.preventDefault(); open(src.dataset.turn, src.dataset.doc, src.dataset.n);
    }
  });
})();
