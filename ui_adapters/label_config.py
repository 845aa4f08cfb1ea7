"""Label Studio labeling config for masklet review: one task = one masklet.

Layout (names are the contract between the task builder and the annotation parser):

- ``<Header value="$context"/>``: video, masklet, frame numbers, model and scores as text.
- ``<Image name="frames" valueList="$frames"/>``: the masklet's frames as a paginated clip.
- ``<BrushLabels name="mask" toName="frames">``: one brush region per frame (``item_index``).
- ``<Choices name="verdict" required="true">``: satisfactory / unsatisfactory / ill-defined.
"""

from __future__ import annotations

from xml.sax.saxutils import quoteattr

from ui_adapters.records import Verdict

FRAMES_TAG = "frames"
BRUSH_TAG = "mask"
VERDICT_TAG = "verdict"
DEFAULT_LABEL = "masklet"

#: Choice value shown in Label Studio -> verdict.
CHOICE_TO_VERDICT: dict[str, Verdict] = {
    "satisfactory": Verdict.SATISFACTORY,
    "unsatisfactory": Verdict.UNSATISFACTORY,
    "ill-defined": Verdict.ILL_DEFINED,
}


def build_label_config(*, label: str = DEFAULT_LABEL, color: str = "#ff3b30") -> str:
    """The project's XML labeling config; ``label`` names the brush label of every masklet."""
    choices = "\n".join(
        f"    <Choice value={quoteattr(value)}/>" for value in CHOICE_TO_VERDICT
    )
    return f"""<View>
  <Header value="$context" size="5"/>
  <Image name="{FRAMES_TAG}" valueList="$frames" zoom="true" zoomControl="true"/>
  <BrushLabels name="{BRUSH_TAG}" toName="{FRAMES_TAG}">
    <Label value={quoteattr(label)} background={quoteattr(color)}/>
  </BrushLabels>
  <Header value="Verdict on the whole masklet (edit frames with the brush/eraser if needed)"
          size="6"/>
  <Choices name="{VERDICT_TAG}" toName="{FRAMES_TAG}" choice="single" required="true"
           showInline="true">
{choices}
  </Choices>
</View>"""
