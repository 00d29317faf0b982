import QtQuick
import QtQuick.Controls

// A ComboBox as wide as its longest choice. The Material style (Qt 6.4) leaves its indicator
// out of the padding it computes, so the text would run under the arrow: the padding is set here.
ComboBox {
    implicitContentWidthPolicy: ComboBox.WidestText
    rightPadding: padding + (indicator ? indicator.width + spacing : 0)
}
